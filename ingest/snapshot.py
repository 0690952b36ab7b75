"""What `newsdesk sources` and `ask` read instead of opening Chroma (#16): the article records and the chunk
fingerprint of one on-disk collection, stamped with the store's revision.

Importing chromadb and opening its client cost more than a second on every command, while the search index
(``ingest.search_index``) already keeps every chunk's text, metadata and vector on disk: with the article
records beside it, `sources` and `ask` need nothing from Chroma. A snapshot must never answer for a collection
that changed after it was written, so:

- Every writer of the store (ingest, remove, reset: all under the data directory's writer lock) replaces the
  store's revision before its first write (``new_revision``), and ``ingest.store`` again before each write it
  makes, whoever calls it. A writer killed half-way leaves a revision that no snapshot carries.
- A snapshot is written under the writer lock too, after the orphan sweep, stamped with the revision read
  before the store is read: no writer runs in between, so it holds what the store held at that revision.
- A reader trusts a snapshot only while its stamp equals the store's revision file, and the search index it
  loads only when that index's fingerprint is the one the snapshot recorded. Anything else (no file, another
  format, a damaged file) means reading the store, as before, and writing a fresh snapshot.

The revision is a random token, not a counter: a store deleted and created again restarts no count that an
old snapshot could match. Only the embedded store has snapshots; with a Chroma server the server is asked.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import secrets
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from ingest.types import ArticleRecord, OutletRef

logger = logging.getLogger(__name__)

#: Beside Chroma's own files in the store folder, so that every data directory sharing a store sees one revision.
REVISION_FILE = "newsdesk-revision"
#: Bumped whenever what a snapshot holds changes, so snapshots written by older code are not read.
SNAPSHOT_FORMAT = 1
#: The data directory's writer lock file (``ingest.pipeline.writer_lock``), named here so that a reader can
#: tell whether a writer is busy without importing the store (and chromadb).
WRITER_LOCK_FILE = "ingest.lock"


def collection_name(embedding_model: str, tokenizer: str, chunk_tokens: int, chunk_overlap: int, *,
                    prefix: str = "news") -> str:
    """``news_<md5[:8]>`` of what built the index: a change of model or chunking gets a fresh collection.
    ``prefix`` keeps apart collections that share one Chroma server, e.g. the evaluation's from the user's."""
    key = f"{embedding_model}|{tokenizer}|{chunk_tokens}|{chunk_overlap}"
    return f"{prefix}_" + hashlib.md5(key.encode()).hexdigest()[:8]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One collection as of one store revision: its article records and the fingerprint of its chunk ids."""

    revision: str
    collection: str
    #: ``ingest.search_index.fingerprint`` of the collection's chunk ids: the search index that matches it.
    fingerprint: str
    chunk_count: int
    articles: tuple[ArticleRecord, ...]


def store_revision(store_dir: Path) -> str | None:
    """The store's current revision, or None when it has none (a store written before revisions existed)."""
    try:
        return (store_dir / REVISION_FILE).read_text(encoding="ascii").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def new_revision(store_dir: Path, *, durable: bool = True) -> str:
    """Give the store a new revision before it is written: every snapshot written so far is then stale.

    ``durable`` syncs it to disk (file and folder) before returning, so that a crash cannot keep Chroma's writes
    that follow and lose the new revision: once per run (the service does it when it takes the writer lock); the
    store renews it again, without the sync, before each of its writes (``ingest.store``)."""
    store_dir.mkdir(parents=True, exist_ok=True)
    revision = secrets.token_hex(16)
    _write_atomically(store_dir / REVISION_FILE, revision.encode("ascii"), durable=durable)
    return revision


def writer_busy(data_dir: Path) -> bool:
    """Whether a writer holds the data directory's lock now; a writer about to write a fresh snapshot, then.

    A shared lock tried without waiting conflicts only with the writer's exclusive one, and leaves the lock file
    as it is. SEE: https://man7.org/linux/man-pages/man2/flock.2.html"""
    try:
        with open(data_dir / WRITER_LOCK_FILE, "rb") as handle:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            fcntl.flock(handle, fcntl.LOCK_UN)
    except BlockingIOError:
        return True
    except OSError:  # no lock file: nobody ever wrote here
        return False
    return False


def snapshot_path(data_dir: Path, collection: str) -> Path:
    """Where the snapshot of ``collection`` lives (beside its search index folder)."""
    return data_dir / "index" / f"{collection}.snapshot.json"


def save_snapshot(path: Path, snapshot: Snapshot) -> None:
    """Write ``snapshot`` to ``path``, replacing it whole (a reader sees the old file or the new one)."""
    body = {"format": SNAPSHOT_FORMAT, **asdict(snapshot)}
    _write_atomically(path, json.dumps(body, ensure_ascii=False).encode("utf-8"))


def load_snapshot(path: Path, *, collection: str, store_dir: Path) -> Snapshot | None:
    """The snapshot at ``path`` if it is current: written for ``collection`` at the store's present revision.

    None when there is none or it is stale (silently: the caller reads the store), and when it cannot be read
    (then with one warning, since a damaged file is worth knowing about)."""
    revision = store_revision(store_dir)
    if revision is None:
        return None
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        logger.warning("cannot read the snapshot %s (%s); reading the store instead", path, error.strerror)
        return None
    try:
        body = json.loads(raw)
        if body.get("format") != SNAPSHOT_FORMAT:
            return None
        if body["revision"] != revision or body["collection"] != collection:
            return None
        snapshot = Snapshot(
            revision=str(body["revision"]), collection=str(body["collection"]),
            fingerprint=_text(body["fingerprint"]), chunk_count=_count(body["chunk_count"]),
            articles=tuple(_record(row) for row in body["articles"]),
        )
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
        logger.warning("the snapshot %s is damaged (%s: %s); reading the store instead", path,
                       type(error).__name__, str(error)[:100])
        return None
    return snapshot


def _write_atomically(path: Path, data: bytes, *, durable: bool = True) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            if durable:
                out.flush()
                os.fsync(out.fileno())
        os.replace(staging, path)
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise
    if not durable:
        return
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, found {type(value).__name__}")
    return value


def _count(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise TypeError(f"expected a count, found {value!r:.40}")
    return value


def _ref(raw: object) -> OutletRef | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise TypeError(f"expected an outlet, found {type(raw).__name__}")
    domain = raw.get("domain")
    return OutletRef(name=_text(raw["name"]), domain=None if domain is None else _text(domain))


def _record(row: object) -> ArticleRecord:
    if not isinstance(row, dict):
        raise TypeError(f"expected an article record, found {type(row).__name__}")
    optional = {key: None if row.get(key) is None else _text(row[key])
                for key in ("url", "published_at", "duplicate_of")}
    return ArticleRecord(
        id=_text(row["id"]), title=_text(row["title"]), publisher=_ref(row.get("publisher")),
        original=_ref(row.get("original")), chunk_count=_count(row["chunk_count"]),
        source_path=_text(row["source_path"]), location=_text(row["location"]), **optional,
    )
