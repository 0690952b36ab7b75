"""The extractive answerer: quote the sentences of the retrieved passages that best answer the question.

Pure: it takes passages (already retrieved) and the outlet registry, does no I/O, and always quotes
article text verbatim, so every quote can be checked against its article body. It quotes as many sentences
as the question needs, and abstains instead of quoting noise: with no passage relevant enough
(``CANNOT_ANSWER``), or when the quotes would not cover the question's key content (``bot.answering.coverage``;
the answer then says what the articles do and do not mention).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, replace

from bot.answering.coverage import (
    KeyContent,
    KeyTerm,
    Nearness,
    NearWords,
    apart_message,
    date_stems,
    gap_message,
    has_figure,
    has_number,
    key_content,
    missing_terms,
    numbered_gap,
    stems_of,
    unmatched_numbered_names,
    words_of,
)
from bot.answering.labels import corroboration, outlet_label, republisher
from bot.answering.roles import role_in, speaker_matches
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
    stems: frozenset[str]  # content stems of the sentence, its article's title and outlet names


@dataclass(frozen=True, slots=True)
class CoverageRule:
    """When quoted sentences cover a question well enough to be shown (calibrated: docs/calibration.md).

    ``max_absent``: the largest share of the question's key terms that none of the relevant passages holds;
    ``max_uncovered``: the largest share the quoted sentences (with their titles) of the best-covering article
    leave out (of all quoted articles together for a question about several reports). A question that
    asks for a quantity also needs a number in the quotes when ``need_number``. Defaults: the calibrated rule.
    """

    max_absent: float = 0.5
    max_uncovered: float = 1.0
    need_number: bool = True
    #: A short question (at most this many key terms) is held to two stricter checks: every name and topic noun
    #: it asks about ("the earthquake") must be in some relevant passage, and one quote's passage (with its
    #: title) must name all its names: "how much did Amazon pay to buy Peloton" is not answered by a quote on
    #: Amazon and one on Peloton. 0 turns them off; long questions (the benchmark's multi-hop ones, which
    #: name articles and join facts across them) are judged by the shares above only.
    short_up_to: int = 6
    #: A numbered thing the question names ("the Pixel 9", "Game 7") must be named with its number in a relevant
    #: passage: the articles on the Pixel 8 do not answer it (bot.answering.coverage.numbered_names).
    numbered_names: bool = True
    #: A key term that is not a name counts as covered by a word whose word-piece vector has at least this cosine
    #: to it ("quake" for "earthquake" 0.76); 1.0: only its own word or paraphrase family.
    paraphrase: float = 1.0
    # The three checks below need the word-piece vectors (``assess(..., nearness=)``) and judge short questions
    # only (``short_up_to``); all are off here: measured, they cost more than they gain (docs/calibration.md).
    #: The largest share of the key terms that the best single article (all its retrieved passages and title)
    #: lacks: "the articles mention X and Y, but not together" when no article holds them all.
    max_article_missing: float = 1.0
    #: The largest share of the key terms that the best single quote (a sentence, or two adjacent ones of a
    #: paragraph) lacks: the event asked about must be told in the same place as what it is about.
    max_window_missing: float = 1.0
    #: The question's focus term (its key term, not a name, found in the fewest retrieved passages: the event,
    #: the relation) must be covered by the quotes.
    focus: bool = False


_SPEECH_QUESTION = re.compile(
    r"\b(say|says|said|tell|told|claim\w*|warn\w*|describ\w*|call\w*|react\w*|respond\w*)\b", re.I
)
#: A sentence from another article is quoted beside the best one when it covers as much of the question and scores
#: at least this share of the best score: it corroborates, it does not pad.
CORROBORATION = 0.8
_QUOTE_MARKS = re.compile(r"[“”\"]")
# '"...," she said.' quotes someone named in the sentence before; quoting both keeps the name with the words.
_PRONOUN_ATTRIBUTION = re.compile(r"\b(he|she|they|it)\s+(said|says|added|told|warned|explained|wrote)\b", re.I)
# Questions that ask for several reports ("did both outlets …", "the Age article … while the BBC article …"):
# then one sentence from each article that covers the question is quoted, not only the best one.
_SEVERAL_SOURCES = re.compile(r"\b(both|each|compar\w*|differ\w*|while|articles|outlets|sources|reports)\b", re.I)


def _sentences(passages: list[Passage]) -> list[tuple[Passage, int, int]]:
    """(passage, start, end) in article offsets; overlapping chunks repeat sentences, the best passage keeps them.

    Articles hold a paragraph per line, so a pronoun's sentence is joined to the one before only on its line."""
    seen: set[tuple[str, int, int]] = set()
    found = []
    for passage in passages:
        spans = sentence_spans(passage.text)
        for i, (a, b) in enumerate(spans):
            if (i > 0 and _PRONOUN_ATTRIBUTION.search(passage.text[a:b])
                    and "\n" not in passage.text[spans[i - 1][1] : a]):
                a = spans[i - 1][0]
            key = (passage.article_id, passage.start + a, passage.start + b)
            if key not in seen:
                seen.add(key)
                found.append((passage, passage.start + a, passage.start + b))
    return found


def _label(passage: Passage) -> str:
    """The passage's title and outlet names: a quote is read under them."""
    return f"{passage.title} {' '.join(r.name for r in (passage.original, passage.publisher) if r)}"


def _label_stems(passage: Passage) -> frozenset[str]:
    return stems_of(_label(passage))


def _candidates(question: str, passages: list[Passage], key: KeyContent) -> list[_Candidate]:
    """Sentences scored by idf-weighted overlap with the question's terms (paraphrase families counted as the
    question's words) and passage similarity; raised when they hold a number the question asks for, a quote for
    "what did X say", or a speaker who fits the role the question asks about."""
    question_terms = set(content_terms(question))
    family = {stem: t.word for t in key.terms for stem in t.stems}
    wants_speech = bool(_SPEECH_QUESTION.search(question))
    role = role_in(question)
    labels = {p.chunk_id: _label_stems(p) for p in passages}
    rows = []
    for passage, start, end in _sentences(passages):
        text = passage.text[start - passage.start : end - passage.start]
        stems = stems_of(text)
        # A paraphrase ("approved" for "vote") counts once, the question's own word twice (as word and as family).
        matched = {("family", family[s]) for s in stems if s in family} | {("word", s) for s in stems & question_terms}
        rows.append((passage, start, end, text, stems, matched))
    document_frequency = Counter(term for *_, terms in rows for term in terms)
    total = max(len(rows), 1)
    context = {p.chunk_id: stems_of(p.text) | labels[p.chunk_id] for p in passages} if role else {}
    scored = []
    for passage, start, end, text, stems, terms in rows:
        score = sum(math.log(1 + total / document_frequency[t]) for t in terms) + 2.0 * passage.score
        if wants_speech and _QUOTE_MARKS.search(text):
            score *= 1.25
        if key.quantity and has_figure(text):
            score *= 1.5
        if role and speaker_matches(role, text, stems, context[passage.chunk_id]):
            score *= 2.0  # the question asks for this speaker: their words beat others' that share more terms
        covering = stems | labels[passage.chunk_id]
        if key.terms:
            # A sentence covering more of what is asked ranks higher (×0.5 to ×1.5); what only its title holds
            # counts half: "the barrier's cost" is better answered by a sentence on it than under a title on it.
            own, titled = len(missing_terms(key, stems)), len(missing_terms(key, covering))
            score *= 0.5 + 1 - (own + titled) / (2 * len(key.terms))
        scored.append(_Candidate(passage, start, end, text, score, covering))
    return sorted(scored, key=lambda c: c.score, reverse=True)


def _adds(candidate: _Candidate, picked: list[_Candidate], key: KeyContent, several: bool,
          dates: frozenset[str] = frozenset()) -> bool:
    """Whether quoting ``candidate`` too gives the reader something the question asks for and the quotes so far
    lack: a key term, the number asked for, or another article's account: for a question about several reports,
    or one that answers as fully as the best quote and nearly as well (an independent outlet corroborating it,
    which the answer's corroboration line counts)."""
    covered = frozenset().union(*(p.stems for p in picked))
    if missing_terms(key, covered) != missing_terms(key, covered | candidate.stems):
        return True
    if key.quantity and not any(has_figure(p.text) for p in picked) and has_figure(candidate.text):
        return True
    if (dates & candidate.stems) - covered:  # "by September": the quote that has the date the question names
        return True
    if any(p.passage.article_id == candidate.passage.article_id for p in picked):
        return False
    best = picked[0]
    corroborates = (candidate.score >= CORROBORATION * best.score
                    and len(missing_terms(key, candidate.stems)) <= len(missing_terms(key, best.stems)))
    return several or corroborates


def _pick(candidates: list[_Candidate], max_quotes: int, key: KeyContent, several: bool,
          dates: frozenset[str] = frozenset()) -> list[_Candidate]:
    """The best sentence, then only those that add what the question asks for (never padding up to
    ``max_quotes``), down to 60% of the best score: weak sentences are not quoted."""
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
        if picked and not _adds(candidate, picked, key, several, dates):
            continue
        picked.append(candidate)
    return _joined(picked)


def _joined(picked: list[_Candidate]) -> list[_Candidate]:
    """Two picked sentences next to each other in one paragraph (only spaces between them, no line break) become
    one quoted passage; sentences of different paragraphs never do."""
    out: list[_Candidate] = []
    for candidate in picked:
        for i, other in enumerate(out):
            first, second = sorted((other, candidate), key=lambda c: c.start)
            if first.passage.chunk_id != second.passage.chunk_id or first.end > second.start:
                continue
            gap = first.passage.text[first.end - first.passage.start : second.start - first.passage.start]
            if gap.strip(" \t") == "":
                text = first.passage.text[first.start - first.passage.start : second.end - first.passage.start]
                out[i] = _Candidate(first.passage, first.start, second.end, text, max(first.score, second.score),
                                    first.stems | second.stems)
                break
        else:
            out.append(candidate)
    return out


@dataclass(frozen=True, slots=True)
class Assessment:
    """What the quotes picked for a question cover, before deciding whether to show them (the calibration
    script sweeps ``CoverageRule`` over these)."""

    key: KeyContent
    relevant: tuple[Passage, ...]
    picked: tuple[_Candidate, ...]
    absent: tuple[KeyTerm, ...]  # key terms that no relevant passage holds
    uncovered: tuple[KeyTerm, ...]  # key terms the quotes (with their titles) leave out
    number_missing: bool  # a quantity is asked for and no quote holds a number
    names_apart: tuple[KeyTerm, ...]  # the question's names that the quote naming most of them lacks
    numbered_missing: tuple[str, ...] = ()  # "Switch 2": numbered names no relevant passage holds with the number
    # Per key term, how well it is covered (1: its word or family; else the best word-piece cosine) by: the
    # relevant passages; each relevant article; each quoted article (all quotes for several reports); each quote.
    present_cover: tuple[float, ...] = ()
    article_cover: tuple[tuple[float, ...], ...] = ()
    quoted_cover: tuple[tuple[float, ...], ...] = ()
    window_cover: tuple[tuple[float, ...], ...] = ()
    focus: int | None = None  # index of the focus term in key.terms

    def _missing(self, cover: tuple[float, ...], rule: CoverageRule) -> tuple[KeyTerm, ...]:
        """The key terms ``cover`` does not reach: names need their own word, others a near one."""
        return tuple(t for t, c in zip(self.key.terms, cover, strict=True) if c < (1.0 if t.name else rule.paraphrase))

    def _fewest_missing(self, covers: tuple[tuple[float, ...], ...], rule: CoverageRule) -> tuple[KeyTerm, ...]:
        return min((self._missing(c, rule) for c in covers), key=len, default=self.key.terms)

    def gap(self, rule: CoverageRule) -> str | None:
        """Why the quotes do not answer the question (the abstention's text), or None when they do."""
        if not self.picked:
            return CANNOT_ANSWER
        terms = self.key.terms
        soft = len(self.present_cover) == len(terms)
        absent = self._missing(self.present_cover, rule) if soft else self.absent
        uncovered = self._fewest_missing(self.quoted_cover, rule) if soft else self.uncovered
        found = tuple(t for t in terms if t not in absent)
        # Whatever the reason, terms no passage holds are the clearest thing to tell the reader.
        missing = (gap_message(found, absent, number_missing=False) if absent else None) or CANNOT_ANSWER
        if len(absent) > rule.max_absent * len(terms) or len(uncovered) > rule.max_uncovered * len(terms):
            return missing
        if rule.numbered_names and self.numbered_missing:
            return numbered_gap(self.numbered_missing)
        topic_absent = any(t.noun or t.name for t in absent)
        if len(terms) <= rule.short_up_to and (self.names_apart or topic_absent):
            return missing
        if soft and len(terms) <= rule.short_up_to:
            if len(self._fewest_missing(self.article_cover, rule)) > rule.max_article_missing * len(terms):
                return apart_message(terms) or missing
            if len(self._fewest_missing(self.window_cover, rule)) > rule.max_window_missing * len(terms):
                return missing
            if rule.focus and self.focus is not None and terms[self.focus] in uncovered:
                return gap_message(found, (terms[self.focus],), number_missing=False) or missing
        if rule.need_number and self.number_missing:
            return gap_message(terms, (), number_missing=True) or CANNOT_ANSWER
        return None


def assess(question: str, passages: list[Passage], *, min_relevance: float, max_quotes: int = 3,
           nearness: Nearness | None = None) -> Assessment:
    """Pick the quotes for ``question`` from the passages of articles with a passage scoring at least
    ``min_relevance``, and measure what of the question's key content they and the passages cover (with
    ``nearness``, also how near the nearest word comes to each key term they lack)."""
    key = key_content(question)
    # An article with one passage relevant enough is relevant: its other retrieved passages may hold the answer
    # in words the question's embedding does not match ("how did the council vote" → "by seven votes to six").
    articles = {p.article_id for p in passages if p.score >= min_relevance}
    relevant = tuple(p for p in passages if p.article_id in articles)
    several = bool(_SEVERAL_SOURCES.search(question))
    picked = tuple(_pick(_candidates(question, list(relevant), key), max_quotes, key, several, date_stems(question)))
    # What the collection holds on the question: the passages the embedding found relevant themselves.
    present = frozenset().union(*(stems_of(p.text) | _label_stems(p) for p in relevant if p.score >= min_relevance))
    # A question about one event is covered by one article's quotes; one about several reports by them all.
    by_article: dict[str, frozenset[str]] = {}
    for c in picked:
        by_article[c.passage.article_id] = by_article.get(c.passage.article_id, frozenset()) | c.stems
    groups = [frozenset().union(*by_article.values())] if several else list(by_article.values())
    uncovered = min((missing_terms(key, g) for g in groups), key=len, default=key.terms)
    names = [t for t in key.terms if t.name]
    # Names count as together when one quote's passage (and title) holds them all: the quote may say "the
    # company" for a name its paragraph gives (measured: fewer false abstentions, as many right ones).
    context = {p.chunk_id: stems_of(p.text) for p in {c.passage.chunk_id: c.passage for c in picked}.values()}
    apart = min(([t for t in missing_terms(key, c.stems | context[c.passage.chunk_id]) if t in names]
                 for c in picked), key=len, default=names)
    numbered = unmatched_numbered_names(question, (f"{p.title}\n{p.text}" for p in relevant))
    found = Assessment(key, relevant, picked, missing_terms(key, present), uncovered,
                       key.quantity and not any(has_number(c.text) for c in picked), tuple(apart), numbered)
    if nearness is None:
        return found
    return _with_covers(found, list(relevant), min_relevance, several, nearness)


def _with_covers(found: Assessment, relevant: list[Passage], min_relevance: float, several: bool,
                 nearness: Nearness) -> Assessment:
    """``found`` with how near each scope (passages, articles, quoted articles, quotes) comes to each key term."""
    key = found.key
    # Stems and words of each passage (with its title and outlet names), computed once: each scope is a union.
    stems = {p.chunk_id: stems_of(p.text) | _label_stems(p) for p in relevant}
    words = {p.chunk_id: words_of(f"{p.text} {_label(p)}") for p in relevant}
    near = NearWords.build(key, frozenset().union(*words.values()), nearness)

    def cover(passages: list[Passage]) -> tuple[float, ...]:
        chunks = [p.chunk_id for p in passages]
        return near.cover(key, frozenset().union(*(stems[c] for c in chunks)),
                          frozenset().union(*(words[c] for c in chunks)))

    articles: dict[str, list[Passage]] = {}
    for p in relevant:
        articles.setdefault(p.article_id, []).append(p)
    quoted: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
    for c in found.picked:
        old_stems, old_words = quoted.get(c.passage.article_id, (frozenset(), frozenset()))
        quoted[c.passage.article_id] = (old_stems | c.stems, old_words | words_of(f"{c.text} {_label(c.passage)}"))
    groups = list(quoted.values())
    if several and groups:
        groups = [(frozenset().union(*(g[0] for g in groups)), frozenset().union(*(g[1] for g in groups)))]
    return replace(
        found,
        present_cover=cover([p for p in relevant if p.score >= min_relevance]),
        article_cover=tuple(cover(ps) for ps in articles.values()),
        quoted_cover=tuple(near.cover(key, s, w) for s, w in groups),
        window_cover=tuple(near.cover(key, stems_of(c.text), words_of(c.text)) for c in found.picked),
        focus=_focus(key, list(stems.values())),
    )


def _focus(key: KeyContent, passages: list[frozenset[str]]) -> int | None:
    """The key term (not a name) found in the fewest retrieved passages (``passages``: their stems): what is rarest
    in them is what the question adds to the names it shares with them (the event, the relation); ties go to the
    later term."""
    counts = [(sum(bool(t.stems & s) for s in passages), -i) for i, t in enumerate(key.terms) if not t.name]
    return -min(counts)[1] if counts else None


def answer(question: str, passages: list[Passage], registry: OutletRegistry, *, min_relevance: float,
           max_quotes: int = 3, missing_outlets: tuple[str, ...] = (), unknown_names: tuple[str, ...] = (),
           rule: CoverageRule = CoverageRule(), nearness: Nearness | None = None) -> Answer:
    """Quote the sentences that answer ``question`` from ``passages``, each with a numbered, outlet-flagged citation.

    Quotes as many sentences as the question needs (often one; ``max_quotes`` at most). Abstains when no
    passage is relevant enough, when the question names an outlet with no article in the collection (answering
    from other outlets would misattribute), asks about a name no article mentions, or when the quotes do not
    cover its key content (``rule``; the answer then says what the articles do and do not mention).
    """
    if missing_outlets:
        names = " or ".join(missing_outlets)
        message = f"No articles from {names} are in the collection, so this cannot be answered from them."
        return Answer(question=question, answer=message, abstained=True, citations=())
    if unknown_names:
        message = f"The ingested articles do not mention {' or '.join(unknown_names)}."
        return Answer(question=question, answer=message, abstained=True, citations=())
    found = assess(question, passages, min_relevance=min_relevance, max_quotes=max_quotes, nearness=nearness)
    gap = found.gap(rule)
    if gap:
        return Answer(question=question, answer=gap, abstained=True, citations=())
    citations = []
    for n, candidate in enumerate(found.picked, start=1):
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
