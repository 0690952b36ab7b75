"""What a question asks about, and whether quoted text covers it: the extractive answerer abstains when it does not.

A question's *key terms* are its content words less the scaffolding every question has ("how many people",
"what happened") and role words, which ``bot.answering.roles`` matches instead (a quote "said Jo Grady, UCU
general secretary" answers "what did the head of the UCU say" without the word "head"). A common verb or noun
counts as covered by its usual paraphrases ("fall" by "dropped", "died" by "killed" or "death toll"), so a
paraphrased question is not refused for its wording. A question asking for a quantity ("how many", "how much",
"what percentage") also needs a number, and a numbered thing it names ("the Pixel 9", "Game 7") must be named
with its number. Pure and table-driven: no model, no I/O. Optionally (off in the shipped rule: measured in
docs/calibration-variants.md) a ``Nearness`` the caller loads counts a word whose word-piece vector is near a key
term ("quake" for "earthquake") as covering it.

Example: "How many people died in the Turkey earthquake?" has the key terms Turkey, died (any death word) and
earthquake, and asks for a number; passages about Turkey's elections cover only Turkey, so the answer is
"The articles found mention Turkey, but nothing about an earthquake."
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from bot.answering.roles import ROLE_STEMS
from bot.answering.text import STOPWORDS, content_terms
from bot.retrieval.query import asks_quantity

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def _base(stem: str) -> str:
    """A stem without a comparative or superlative ending ("riskier" → "risk", "longest" → "long"), which the
    English stemmer keeps; words shorter than 4 letters without it are left alone ("best", "later")."""
    for ending in ("iest", "ier", "est", "er"):
        if stem.endswith(ending) and len(stem) - len(ending) >= 4:
            return stem[: -len(ending)]
    return stem


# Question scaffolding: words that say what kind of answer is wanted, not what it is about.
_SCAFFOLD = frozenset(
    content_terms(
        "many much number people person persons happen happened happening thing things way ways think thought "
        "also mention mentioned latest recent recently new current currently exactly actually really main "
        "kind type sort role reason reasons explain describe detail details know known give given make made "
        "get got take took use used happen cause caused mean meant show shows find found go went come came "
        "did does do first last according story article piece write wrote written publish published cover "
        "covered outlet outlets source sources other others what's whats whose roughly approximately compare "
        # Time scaffolding: "this year's", "next week" place the question, the topic is elsewhere.
        "year years month months week weeks day days today yesterday tomorrow next ago time "
        # Dates steer retrieval (bot/retrieval/dates.py); the topic is elsewhere in the question.
        "january february march april may june july august september october november december sept "
        "monday tuesday wednesday thursday friday saturday sunday"
    )
)
_DATE_WORDS = frozenset(content_terms(
    "january february march april may june july august september october november december sept "
    "monday tuesday wednesday thursday friday saturday sunday"
))
# Paraphrase families (Snowball stems): one key term is covered by any member of its family.
_FAMILIES = tuple(
    frozenset(_base(s) for s in content_terms(words))
    for words in (
        "die died dead death deaths kill killed killing fatalities fatality toll perished lives",
        "fall fell fallen drop dropped decline declined decrease decreased cut cuts lower lowered reduce reduced "
        "reduction slump slumped plunge plunged shrink shrank dip dipped slid slide down",
        "rise rose risen increase increased grow grew growth climb climbed jump jumped soar soared surge surged "
        "gain gained higher up",
        "cost costs price priced spend spent spending pay paid fund funded funding budget expense bill",
        "vote voted votes ballot approve approved approval pass passed back backed reject rejected",
        "injure injured injuries wound wounded hurt",
        "evacuate evacuated evacuation flee fled displaced",
        "win won victory beat defeated",
        "buy bought acquire acquired acquisition purchase purchased deal",
        "sue sued lawsuit suit litigation",
        "arrest arrested detain detained custody charged",
        "fire fired dismiss dismissed oust ousted sack sacked",
        "ban banned prohibit prohibited outlaw",
        "strike strikes struck walkout",
        "revenue revenues sales earnings profit profits income",
        "job jobs employ employed employment worker workers staff hire hired",
        "us usa america american americans",
        "uk britain british",
        # Irregular past forms, which the stemmer does not join to their verb.
        "meet met meeting", "lead led", "leave left", "hold held", "sell sold", "find found", "fight fought",
        "run ran", "begin began begun", "speak spoke spoken", "break broke broken", "choose chose chosen",
        "steal stole stolen", "shoot shot", "lose lost", "send sent", "build built", "keep kept",
        "bring brought", "teach taught", "catch caught", "sink sank sunk", "drive drove driven",
        "fly flew flown", "throw threw thrown", "freeze froze frozen", "swim swam",
        "sing sang sung", "tear tore torn", "wear wore worn", "seek sought", "feel felt", "hear heard",
        "forgive forgave", "forbid forbade", "stand stood", "understand understood", "sit sat", "sleep slept",
    )
)
_NUMBER = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|"
    r"sixty|seventy|eighty|ninety|hundreds?|thousands?|millions?|billions?|trillions?|dozens?|half|third|quarter|"
    r"single|double|twice|triple)\b",
    re.I,
)
_INITIALISM = re.compile(r"\b(?:[A-Z]\.){2,}")
# "the Turkey earthquake", "an inquiry": a determiner a few words before a lower-case word makes it a noun here.
_DETERMINER = frozenset("the a an this that its their his her".split())


@dataclass(frozen=True, slots=True)
class KeyTerm:
    """One thing the question asks about: its word as written and the stems that count as mentioning it."""

    word: str
    stems: frozenset[str]
    noun: bool  # follows a determiner: "nothing about an earthquake" reads better than "about earthquake"
    name: bool = False  # capitalised inside the question: a name ("Peloton", "Turkey", "UCU")

    def phrase(self) -> str:
        if not self.noun or self.word[:1].isupper():
            return self.word
        return f"{'an' if self.word[:1].lower() in 'aeiou' else 'a'} {self.word}"


@dataclass(frozen=True, slots=True)
class KeyContent:
    """The key terms of a question and whether it asks for a quantity (then a number must be quoted)."""

    terms: tuple[KeyTerm, ...]
    quantity: bool


def _family(stem: str) -> frozenset[str]:
    for family in _FAMILIES:
        if stem in family:
            return family
    return frozenset({stem})


def key_content(question: str) -> KeyContent:
    """The key terms of ``question`` in the order written (one per family), and whether it asks for a quantity."""
    words = _WORD.findall(unicodedata.normalize("NFKC", question))  # "ſeptember" is September
    terms: list[KeyTerm] = []
    seen: set[frozenset[str]] = set()
    for i, word in enumerate(words):
        stems = content_terms(_INITIALISM.sub(lambda m: m.group().replace(".", ""), word))
        if (not stems or word.lower() in STOPWORDS or stems[0] in _SCAFFOLD or stems[0] in ROLE_STEMS
                or word.isdigit()):
            continue
        family = _family(_base(stems[0]))
        if family in seen:
            continue
        seen.add(family)
        # A determiner right before, or before names only ("the Turkey earthquake"): a noun.
        j = i - 1
        while j >= 0 and words[j][:1].isupper() and words[j].lower() not in _DETERMINER:
            j -= 1
        noun = j >= 0 and words[j].lower() in _DETERMINER and not word[:1].isupper()
        terms.append(KeyTerm(re.sub(r"['’]s$", "", word), family, noun, name=i > 0 and word[:1].isupper()))
    return KeyContent(tuple(terms), asks_quantity(question))


def stems_of(text: str) -> frozenset[str]:
    """Content stems of ``text``, with dotted initialisms read as words ("U.S." → "us", "U.K." → "uk") and
    comparatives as their base ("riskier" → "risk")."""
    return frozenset(_base(s) for s in content_terms(_INITIALISM.sub(lambda m: m.group().replace(".", ""), text)))


def missing_terms(key: KeyContent, stems: frozenset[str]) -> tuple[KeyTerm, ...]:
    """The key terms none of whose stems is in ``stems``."""
    return tuple(t for t in key.terms if not t.stems & stems)


class Nearness(Protocol):
    """How near words are in meaning (``ingest.word_vectors.WordVectors``: the shipped model's word pieces)."""

    def similarities(self, words: list[str], others: list[str]) -> np.ndarray: ...


def words_of(text: str) -> frozenset[str]:
    """The lower-cased words of ``text``, as the word-piece vectors look them up."""
    return frozenset(w.lower() for w in _WORD.findall(unicodedata.normalize("NFKC", text)))


#: Cosines below this are not kept: no paraphrase threshold worth calibrating is that low.
NEAR_FLOOR = 0.3


@dataclass(frozen=True, slots=True)
class NearWords:
    """Per key term of a question, the words of some texts near it in meaning, with their cosine (at least
    ``NEAR_FLOOR``; none without ``Nearness``)."""

    near: tuple[dict[str, float], ...]

    @classmethod
    def build(cls, key: KeyContent, words: Iterable[str], nearness: Nearness | None) -> NearWords:
        words = sorted(set(words))
        if nearness is None or not key.terms or not words:
            return cls(tuple({} for _ in key.terms))
        matrix = nearness.similarities([t.word.lower() for t in key.terms], words)
        return cls(tuple({words[j]: float(row[j]) for j in np.flatnonzero(row >= NEAR_FLOOR)} for row in matrix))

    def cover(self, key: KeyContent, stems: frozenset[str], words: frozenset[str]) -> tuple[float, ...]:
        """Per key term: 1 when ``stems`` hold it (its word or its paraphrase family), else the highest cosine
        of a word of ``words`` to it (below 1: another word; 0 when none is near)."""
        return tuple(
            1.0 if t.stems & stems else max((min(c, 0.999) for w, c in near.items() if w in words), default=0.0)
            for t, near in zip(key.terms, self.near, strict=True)
        )


def has_number(text: str) -> bool:
    return bool(_NUMBER.search(text))


def has_figure(text: str) -> bool:
    """A number in digits ("13.5 hectares"): what a how-many question wants, more than "three times faster"."""
    return any(c.isdigit() for c in text)


def date_stems(question: str) -> frozenset[str]:
    """Stems of the dates in ``question`` ("by September", "in 2025"): no key terms (retrieval steers by them),
    but a quote that holds one the others lack is worth adding."""
    words = _WORD.findall(unicodedata.normalize("NFKC", question))
    return frozenset(s for w in words for s in content_terms(w) if w.isdigit() or s in _DATE_WORDS)


# "the Pixel 9", "Switch 2", "Game 7": a word and the small number that is part of its name (not "2023", not "9.5").
_NUMBERED = re.compile(r"\b([^\W\d_][\w’'-]*)\s+(\d{1,3})\b(?![.,:]?\d)")
_MONTHS = frozenset("jan feb mar apr jun jul aug sep sept oct nov dec".split()) | _DATE_WORDS
#: A question names a few numbered things at most; a list of them ("Word 1 Word 2 …") is not searched one by one.
MAX_NUMBERED = 3


def numbered_names(question: str) -> tuple[tuple[str, str], ...]:
    """The numbered things ``question`` names, as (word, number): "When does the Nintendo Switch 2 come out?" →
    (("Switch", "2"),). The word must be capitalised ("Game 7"), or the whole question lower case ("the pixel 9"),
    so that "cut 200 jobs" is a quantity, not a name; dates ("November 6") are steered by retrieval instead."""
    question = unicodedata.normalize("NFKC", question)
    lower = not any(c.isupper() for c in question)
    found = []
    for match in _NUMBERED.finditer(question):
        word = match[1]
        if (match.start() == 0 or not (word[:1].isupper() or lower) or word.lower() in STOPWORDS
                or any(s in _MONTHS for s in content_terms(word))):
            continue
        if (word, match[2]) not in found:
            found.append((word, match[2]))
    return tuple(found[:MAX_NUMBERED])


def unmatched_numbered_names(question: str, texts: Iterable[str]) -> tuple[str, ...]:
    """The numbered things of ``question`` that no text of ``texts`` names with that number ("Pixel 9" when the
    articles know only the Pixel 8); a plural or singular of the word counts ("games 3" is "Game 3")."""
    wanted = numbered_names(question)
    if not wanted:
        return ()
    text = "\n".join(texts)
    missing = []
    for word, number in wanted:
        stem = re.escape(word[:-1] if len(word) > 3 and word[-1:].lower() == "s" else word)
        if not re.search(rf"\b{stem}\w{{0,2}}\s+(?:No\.?\s*)?{number}\b(?![.,:]?\d)", text, re.I):
            missing.append(f"{word} {number}")
    return tuple(missing)


def _join(phrases: list[str]) -> str:
    return phrases[0] if len(phrases) == 1 else f"{', '.join(phrases[:-1])} or {phrases[-1]}"


def apart_message(terms: tuple[KeyTerm, ...]) -> str | None:
    """Why the answer abstains when no one article holds all the key terms: "The articles found mention Turkey
    and an earthquake, but not together."; None with fewer than two names or topic nouns to name."""
    phrases = [t.phrase() for t in terms if t.noun or t.name][:3]
    if len(phrases) < 2:
        return None
    return f"The articles found mention {', '.join(phrases[:-1])} and {phrases[-1]}, but not together."


def numbered_gap(missing: tuple[str, ...]) -> str:
    """Why the answer abstains when numbered things are missing: "The articles found say nothing about Switch 2."."""
    return f"The articles found say nothing about {_join(list(missing))}."


def gap_message(found: tuple[KeyTerm, ...], missing: tuple[KeyTerm, ...], *, number_missing: bool) -> str | None:
    """Why the answer abstains, naming what the articles do and do not hold; None when nothing can be named."""
    named = [t.word for t in found if t.noun or t.word[:1].isupper()][:3]
    if missing and not named:
        return f"The articles found say nothing about {_join([t.phrase() for t in missing[:3]])}."
    if not named:
        return None
    mention = "The articles found mention " + " and ".join(named)
    if missing:
        return f"{mention}, but nothing about {_join([t.phrase() for t in missing[:3]])}."
    if number_missing:
        return f"{mention}, but give no figure for what is asked."
    return None
