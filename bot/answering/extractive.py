"""The extractive answerer: quote the sentences of the retrieved passages that best answer the question.

Pure: it takes passages (already retrieved) and the outlet registry, does no I/O, and always quotes
article text verbatim, so every quote can be checked against its article body. With no passage
relevant enough it abstains with ``CANNOT_ANSWER`` instead of quoting noise.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from bot.answering.labels import corroboration, outlet_label, republisher
from bot.answering.text import content_terms, sentence_spans
from bot.types import Answer, Citation
from ingest.outlets import OutletRegistry
from ingest.types import Passage

CANNOT_ANSWER = "The ingested articles do not answer this question."


@dataclass(frozen=True, slots=True)
class _Candidate:
    passage: Passage
    start: int  # offsets in the article body
    end: int
    text: str
    score: float


_SPEECH_QUESTION = re.compile(
    r"\b(say|says|said|tell|told|claim\w*|warn\w*|describ\w*|call\w*|react\w*|respond\w*)\b", re.I
)
_QUOTE_MARKS = re.compile(r"[“”\"]")
# '"...," she said.' quotes someone named in the sentence before; quoting both keeps the name with the words.
_PRONOUN_ATTRIBUTION = re.compile(r"\b(he|she|they|it)\s+(said|says|added|told|warned|explained|wrote)\b", re.I)


def _sentences(passages: list[Passage]) -> list[tuple[Passage, int, int]]:
    """(passage, start, end) in article offsets; overlapping chunks repeat sentences, the best passage keeps them."""
    seen: set[tuple[str, int, int]] = set()
    found = []
    for passage in passages:
        spans = sentence_spans(passage.text)
        for i, (a, b) in enumerate(spans):
            if _PRONOUN_ATTRIBUTION.search(passage.text[a:b]) and i > 0:
                a = spans[i - 1][0]
            key = (passage.article_id, passage.start + a, passage.start + b)
            if key not in seen:
                seen.add(key)
                found.append((passage, passage.start + a, passage.start + b))
    return found


def _candidates(question: str, passages: list[Passage]) -> list[_Candidate]:
    """Sentences scored by idf-weighted question-term overlap, passage similarity and, for "what did X say"
    questions, whether they carry a direct quote."""
    question_terms = set(content_terms(question))
    wants_speech = bool(_SPEECH_QUESTION.search(question))
    rows = []
    for passage, start, end in _sentences(passages):
        text = passage.text[start - passage.start : end - passage.start]
        rows.append((passage, start, end, text, set(content_terms(text)) & question_terms))
    document_frequency = Counter(term for *_, terms in rows for term in terms)
    total = max(len(rows), 1)
    scored = []
    for passage, start, end, text, terms in rows:
        score = sum(math.log(1 + total / document_frequency[t]) for t in terms) + 2.0 * passage.score
        if wants_speech and _QUOTE_MARKS.search(text):
            score *= 1.25
        scored.append(_Candidate(passage, start, end, text, score))
    return sorted(scored, key=lambda c: c.score, reverse=True)


def _pick(candidates: list[_Candidate], max_quotes: int) -> list[_Candidate]:
    """The best-scoring sentences, down to 60% of the best score: near-ties are all quoted, weak ones are not."""
    if not candidates:
        return []
    best = candidates[0].score
    picked: list[_Candidate] = []
    for candidate in candidates:
        if len(picked) == max_quotes or candidate.score < 0.6 * best:
            break
        overlaps = any(p.passage.article_id == candidate.passage.article_id
                       and p.start < candidate.end and candidate.start < p.end for p in picked)
        if overlaps or len(candidate.text) < 12 or not content_terms(candidate.text):
            continue
        picked.append(candidate)
    return picked


def answer(question: str, passages: list[Passage], registry: OutletRegistry, *, min_relevance: float,
           max_quotes: int = 3, missing_outlets: tuple[str, ...] = (), unknown_names: tuple[str, ...] = ()) -> Answer:
    """Quote the sentences that answer ``question`` from ``passages``, each with a numbered, outlet-flagged citation.

    Abstains when no passage is relevant enough, when the question names an outlet with no article in the
    collection (answering from other outlets would misattribute), or asks about a name no article mentions.
    """
    if missing_outlets:
        names = " or ".join(missing_outlets)
        message = f"No articles from {names} are in the collection, so this cannot be answered from them."
        return Answer(question=question, answer=message, abstained=True, citations=())
    if unknown_names:
        message = f"The ingested articles do not mention {' or '.join(unknown_names)}."
        return Answer(question=question, answer=message, abstained=True, citations=())
    relevant = [p for p in passages if p.score >= min_relevance]
    if not relevant:
        return Answer(question=question, answer=CANNOT_ANSWER, abstained=True, citations=())
    picked = _pick(_candidates(question, relevant), max_quotes)
    citations = []
    for n, candidate in enumerate(picked, start=1):
        original = outlet_label(candidate.passage.original, registry)
        citations.append(
            Citation(
                n=n, quote=candidate.text, article_id=candidate.passage.article_id,
                chunk_id=candidate.passage.chunk_id, title=candidate.passage.title, url=candidate.passage.url,
                published_at=candidate.passage.published_at, outlet=original,
                republished_by=republisher(candidate.passage, original, registry),
                start=candidate.start, end=candidate.end,
            )
        )
    text = "\n".join(f"“{c.quote}” [{c.n}]" for c in citations)
    return Answer(question=question, answer=text, abstained=False, citations=tuple(citations),
                  corroboration=corroboration(citations))
