"""Sentence spans and content terms for the extractive answerer (no model: fast and deterministic)."""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer

from ingest.sentences import sentence_spans

__all__ = ["STOPWORDS", "content_terms", "sentence_spans"]

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


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def content_terms(text: str) -> list[str]:
    """Lower-cased, stemmed words without stopwords: ``"What did Lavrov say?"`` → ``["lavrov"]``."""
    words = [w.lower().replace("’", "'") for w in _WORD.findall(text)]
    return _stemmer().stemWords([w for w in words if w not in STOPWORDS and len(w) > 1])
