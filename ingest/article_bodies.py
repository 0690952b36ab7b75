"""The article bodies beside the collection's snapshot, so that a process serving from the snapshot (the Telegram
bot) shows the paragraph around a quote without opening Chroma (#14: importing chromadb and opening the
collection cost the bot about 140 MB of its 600).

One file per collection, written with the snapshot (``ingest.snapshot``) under the writer lock and stamped with
the same store revision. Its first line is a JSON header (format, revision, collection, and for each article the
byte offset and length of its body in what follows); the bodies follow as UTF-8, so reading one body reads the
header and that body only. A reader trusts the file only for the revision it asks about; a missing, stale or
damaged file answers None and the caller reads the store.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path

from ingest.snapshot import _write_atomically

logger = logging.getLogger(__name__)

#: Bumped whenever the file's layout changes, so files written by older code are not read.
BODIES_FORMAT = 1


def bodies_path(snapshot: Path) -> Path:
    """Where the bodies of the collection whose snapshot is at ``snapshot`` live (beside it)."""
    return snapshot.with_name(snapshot.name.removesuffix(".snapshot.json") + ".bodies")


def save_bodies(path: Path, *, revision: str, collection: str, bodies: Iterable[tuple[str, str]]) -> None:
    """Write ``(article id, body)`` pairs to ``path`` for ``revision``, replacing the file whole."""
    offsets: dict[str, tuple[int, int]] = {}
    parts: list[bytes] = []
    size = 0
    for article_id, body in bodies:
        data = body.encode("utf-8", "surrogatepass")
        offsets[article_id] = (size, len(data))
        parts.append(data)
        size += len(data)
    header = {"format": BODIES_FORMAT, "revision": revision, "collection": collection, "offsets": offsets}
    # ensure_ascii: the header is one line whatever the ids hold (a JSON string escapes any newline).
    _write_atomically(path, json.dumps(header).encode("ascii") + b"\n" + b"".join(parts))


def load_body(path: Path, article_id: str, *, revisions: Iterable[str | None], collection: str) -> str | None:
    """The body of ``article_id`` if the file at ``path`` was written for ``collection`` at one of ``revisions``.

    None when the file is missing, stale or damaged (with one warning: worth knowing), or holds no such article;
    the caller then asks the store, which knows."""
    try:
        with path.open("rb") as handle:
            header = json.loads(handle.readline())
            if header.get("format") != BODIES_FORMAT or header.get("collection") != collection:
                return None
            if header.get("revision") not in {r for r in revisions if r is not None}:
                return None
            where = header["offsets"].get(article_id)
            if where is None:
                return None
            start, length = (int(n) for n in where)
            handle.seek(handle.tell() + start)  # offsets count from the end of the header line
            data = handle.read(length)
            if len(data) != length:
                raise ValueError("the file is shorter than its header says")
            return data.decode("utf-8", "surrogatepass")
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as error:
        logger.warning("cannot read the article bodies in %s (%s); reading the store instead", path, error)
        return None
