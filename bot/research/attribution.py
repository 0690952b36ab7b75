"""PLACEHOLDER attribution: quoted spans and "X said" in the same sentence, crudely.

The real attribution (reporting verbs, quotes across sentences, pronouns, second-hand chains) is written in
another branch of #13 and replaces this module at merge; only the signature of ``find_quotes`` is shared.
"""

from __future__ import annotations

import re

from bot.research.quote_types import Quote

#: Bounded work on any input: at most this many characters are read and this many quotes returned.
MAX_BODY_CHARS = 200_000
MAX_QUOTES = 500
_QUOTED = re.compile(r"[\"“”]([^\"“”\n]{3,1000})[\"“”]")
_SAID = re.compile(
    r"((?:[A-Z][\w'’.-]*\s+){0,5}?(?:[A-Z][\w'’.-]*|an?\s+(?:senior\s+)?(?:official|source|spokesperson|diplomat)))"
    r"\s+(?:said|says|told|claimed|warned)\b"
)
_HAS_REPORTED = re.compile(r"\b((?:The\s+)?[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*){0,3})\s+has\s+reported\b")
_SENTENCE_END = re.compile(r"[.!?][\"”’]?(?:\s|$)")


def _sentence_around(body: str, start: int, end: int) -> tuple[int, int]:
    before = [m.end() for m in _SENTENCE_END.finditer(body, max(0, start - 400), start)]
    after = _SENTENCE_END.search(body, end, min(len(body), end + 400))
    return (before[-1] if before else max(0, start - 400)), (after.end() if after else min(len(body), end + 400))


def find_quotes(body: str) -> tuple[Quote, ...]:
    """Every quoted span in ``body``, in order, with the "X said" of its sentence as speaker (placeholder)."""
    if not isinstance(body, str):
        return ()
    text = body[:MAX_BODY_CHARS]
    quotes: list[Quote] = []
    # Crude: an article that says "The Atlantic has reported" got its unnamed sources from that outlet.
    second_hand = _HAS_REPORTED.search(text[:20_000])
    via_report = (" ".join(second_hand.group(1).split()),) if second_hand else ()
    for match in _QUOTED.finditer(text):
        if len(quotes) >= MAX_QUOTES:
            break
        start, end = match.start(1), match.end(1)
        lo, hi = _sentence_around(text, match.start(), match.end())
        said = _SAID.search(text, lo, hi)
        speaker = " ".join(said.group(1).split()) if said else None
        anonymous = bool(speaker and re.match(r"an?\s", speaker))
        quotes.append(Quote(text=body[start:end], start=start, end=end, kind="direct", speaker=speaker,
                            speaker_role=None, anonymous=anonymous,
                            via=via_report if anonymous else ()))
    return tuple(quotes)
