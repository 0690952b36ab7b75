"""One article's quotes as records and as lines a reader sees: speaker, outlet that reported them, republishers.

Who said the words comes from the text (``find_quotes``); who reported and who republished them comes from the
article's provenance (``ingest.provenance``, resolved through the outlet registry to display names such as "RT").
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.answering.labels import outlet_label
from bot.research.attribution import find_quotes
from bot.research.quote_types import quote_record
from ingest.outlets import OutletRegistry
from ingest.types import OutletRef


def provenance_names(original: OutletRef | None, publishers: Iterable[OutletRef | None],
                     registry: OutletRegistry) -> tuple[str | None, tuple[str, ...]]:
    """``(reported_by, republished_by)``: the original outlet's display name, and every other site that carried
    the article (an article with no known original is reported by its publisher)."""
    names = [outlet_label(ref, registry).name for ref in publishers if ref is not None]
    reported_by = outlet_label(original, registry).name if original is not None else (names[0] if names else None)
    republished = tuple(dict.fromkeys(n for n in names if n != reported_by))
    return reported_by, republished


def article_quotes(body: str, *, article_id: str, reported_by: str | None, republished_by: tuple[str, ...],
                   published_at: str | None) -> list[dict[str, object]]:
    """Every quote of one article as ``quote_record`` objects (``published_at`` cut to its date)."""
    date = published_at[:10] if published_at else None
    return [quote_record(q, article_id=article_id, reported_by=reported_by, republished_by=republished_by,
                         published_at=date) for q in find_quotes(body)]


def quote_block(record: dict[str, object]) -> str:
    """One quote for a reader, e.g.
    ``Sergey Lavrov (Russian Foreign Minister) said: "…" — reported by RT, 2025-08-27, republished by USSANews.com``
    or ``a senior official, unnamed, quoted by The Atlantic: "…" — as retold by RT, …``."""
    speaker, role, via = record["speaker"], record["speaker_role"], list(record["via"])  # type: ignore[call-overload]
    who = str(speaker) if speaker else None
    if who and role:
        who += f" ({role})"
    if who and record["anonymous"]:
        who += ", unnamed"
    chain = ", via ".join(str(v) for v in via)
    if who and via:
        head = f"{who}, quoted by {chain}"
    elif who:
        head = f"{who} said"
    else:
        head = f"reported by {chain}" if via else "unattributed"
    tail = [f"{'as retold by' if via else 'reported by'} {record['reported_by']}"] if record["reported_by"] else []
    if record["published_at"]:
        tail.append(str(record["published_at"]))
    if record["republished_by"]:
        tail.append("republished by " + ", ".join(str(r) for r in record["republished_by"]))  # type: ignore[attr-defined]
    text = " ".join(str(record["text"]).split())
    return f'{head}: "{text}"' + (f" — {', '.join(tail)}" if tail else "")
