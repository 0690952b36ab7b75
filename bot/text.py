"""Sentence spans and content terms for the extractive answerer (no model: fast and deterministic)."""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer

# A sentence ends at . ! ? (optionally followed by closing quotes/brackets) before whitespace and an
# opening capital, digit or quote; a line break always ends one (articles hold a paragraph per line).
# Abbreviations like "U.S. officials" may split early, which only shortens a quote: quotes stay verbatim.
_SENTENCE_END = re.compile(
    r"""(?<=[.!?])["'”’)\]]*(?=[ \t]+["'“”‘’(\[]?[A-Z0-9])|\s*\n\s*"""
)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)

STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further had has have having he her
    here hers him his how i if in into is it its itself just me more most my no nor not now of off on once
    only or other our out over own same she should so some such than that the their them then there these they
    this those through to too under until up very was we were what when where which while who whom why will
    with would you your said says say tell told according report reported article news
    """.split()
)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence in ``text``, whitespace trimmed."""
    spans: list[tuple[int, int]] = []
    cursor = 0
    for match in _SENTENCE_END.finditer(text):
        spans.append((cursor, match.start() if match.group(0).isspace() else match.end()))
        cursor = match.end()
    spans.append((cursor, len(text)))
    trimmed = []
    for start, end in spans:
        piece = text[start:end]
        lead = len(piece) - len(piece.lstrip())
        trail = len(piece) - len(piece.rstrip())
        if end - trail > start + lead:
            trimmed.append((start + lead, end - trail))
    return trimmed


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def content_terms(text: str) -> list[str]:
    """Lower-cased, stemmed words without stopwords: ``"What did Lavrov say?"`` → ``["lavrov"]``."""
    words = [w.lower().replace("’", "'") for w in _WORD.findall(text)]
    return _stemmer().stemWords([w for w in words if w not in STOPWORDS and len(w) > 1])
