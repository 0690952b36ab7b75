"""Checks, in code, of what a model wrote against the passages it cites. Pure: text in, checked text out.

Rules (README, "Answers written by a model"):

1. ``[n]`` markers (also ``[1, 3]`` and ``[1][3]``) are mapped to the numbered passages. A number with no passage
   is removed. A sentence whose only citations were invented is removed with them: the model claimed a source
   we did not give it, so nothing in that sentence is backed by anything we can show.
2. Text in quotation marks must occur in one of the sentence's cited passages, after folding quote marks,
   dashes, case and whitespace; otherwise it is marked.
3. Numbers (and the years of dates) and capitalised names in a cited sentence that occur in none of its cited
   passages (text, title, outlet, date) are marked. An uncited sentence is checked against all passages.
4. Marked sentences stay, with ``[unverified: …]`` after their citations naming what was not found, so the
   reader sees it.
5. Passages are renumbered in order of first citation; the caller lists only cited passages.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.answering.text import STOPWORDS
from bot.types import SentenceCheck

_MARKER = re.compile(r"\s*\[(\d{1,4}(?:\s*[,;]\s*\d{1,4})*)\]")
# "… rose. [1]" → "… rose [1]." so the citation stays with its sentence.
_CITE_AFTER_STOP = re.compile(r"([.!?…])((?:\s*\[\d{1,4}(?:\s*[,;]\s*\d{1,4})*\])+)")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”’)]*\s+|\n+")
_QUOTED = re.compile(r"[\"“”„«»]([^\"“”„«»]{3,}?)[\"“”„«»]")
_NUMBER = re.compile(r"\d[\d,.]*\d|\d")
_NAME = re.compile(r"\b[A-Z][\w'’\-]*[\w]|\b[A-Z]\b")
_FOLD = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'", "–": "-", "—": "-"})
_SPACES = re.compile(r"\s+")
_NOT_NAMES = frozenset("i a the ceo us uk eu un".split())
_MONTHS = "January February March April May June July August September October November December".split()


@dataclass(frozen=True, slots=True)
class CheckedText:
    """The text to show, its sentence checks, the cited passage indexes (0-based, in the new numbering's order)
    and the sentences removed for citing only invented passages."""

    text: str
    checks: tuple[SentenceCheck, ...]
    cited: tuple[int, ...]
    dropped: tuple[str, ...]


def fold(text: str) -> str:
    """Case, quote marks, dashes, compatibility forms and whitespace folded, for substring tests."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text).translate(_FOLD)).strip().casefold()


def _numbers(text: str) -> set[str]:
    return {m.replace(",", "").rstrip(".") for m in _NUMBER.findall(text)}


def _names(sentence: str) -> list[str]:
    words = []
    for match in _NAME.finditer(sentence):
        if match.start() == 0 or sentence[: match.start()].rstrip().endswith((".", ":", "\"", "“", "(")):
            continue  # a capital at the start of a sentence or quotation says nothing
        word = re.sub(r"['’]s$", "", match.group())
        if word.casefold() not in STOPWORDS and word.casefold() not in _NOT_NAMES and not word.isdigit():
            words.append(word)
    return words


def _split(text: str) -> list[str]:
    text = _CITE_AFTER_STOP.sub(lambda m: f"{m.group(2)}{m.group(1)}", text.strip())
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def _unsupported(sentence: str, evidence: list[str]) -> list[str]:
    bare = _MARKER.sub("", sentence)
    folded = [fold(e) for e in evidence]
    found: list[str] = []
    for quote in _QUOTED.findall(bare):
        if len(quote.split()) >= 2 and not any(fold(quote).strip(" .,;:") in e for e in folded):
            found.append(f"quotation “{quote.strip()}”")
    numbers = set().union(*(_numbers(e) for e in evidence)) if evidence else set()
    found.extend(n for n in sorted(_numbers(bare) - numbers, key=bare.find))
    words = set(re.findall(r"[\w'’\-]+", " ".join(folded)))
    for name in dict.fromkeys(_names(bare)):
        if fold(name) not in words and fold(name) not in " ".join(folded):
            found.append(name)
    return found


def check(text: str, evidence: list[str]) -> CheckedText:
    """Check ``text`` written from ``evidence`` (``evidence[n-1]`` is everything passage ``[n]`` shows the model)."""
    renumber: dict[int, int] = {}
    checks: list[SentenceCheck] = []
    dropped: list[str] = []
    for sentence in _split(text):
        numbers = [int(n) for m in _MARKER.finditer(sentence) for n in re.split(r"\s*[,;]\s*", m.group(1))]
        valid = [n for n in dict.fromkeys(numbers) if 1 <= n <= len(evidence)]
        if numbers and not valid:
            dropped.append(sentence)
            continue
        for n in valid:
            renumber.setdefault(n, len(renumber) + 1)
        cited = [renumber[n] for n in valid]
        bare = _MARKER.sub("", sentence).strip()
        if not bare or not re.search(r"\w", bare):
            continue
        stop = re.search(r"[.!?…]+[\"”’)]*$", bare)
        body, end = (bare[: stop.start()], stop.group()) if stop else (bare, "")
        marks = "".join(f"[{n}]" for n in cited)
        unsupported = _unsupported(bare, [evidence[n - 1] for n in valid] if valid else evidence)
        flag = f" [unverified: {'; '.join(unsupported)}]" if unsupported else ""
        shown = f"{body} {marks}{flag}{end}" if marks else f"{body}{flag}{end}"
        checks.append(SentenceCheck(sentence=shown, citations=tuple(cited), unsupported=tuple(unsupported)))
    cited_indexes = tuple(n - 1 for n in sorted(renumber, key=renumber.__getitem__))
    return CheckedText(text=" ".join(c.sentence for c in checks), checks=tuple(checks), cited=cited_indexes,
                       dropped=tuple(dropped))


def evidence_text(text: str, title: str, outlet: str, published_at: str | None) -> str:
    """What a passage shows the model: its text, title, outlet and date (with the month's name and the year)."""
    date = ""
    if published_at and re.match(r"\d{4}-\d{2}-\d{2}", published_at):
        year, month, day = published_at[:4], int(published_at[5:7]), int(published_at[8:10])
        date = f"{published_at[:10]} {year} {_MONTHS[month - 1] if 1 <= month <= 12 else ''} {day}"
    return f"{text}\n{title}\n{outlet}\n{date}"
