"""Sentence boundaries in article text, as character spans (quotes and sentence indexes use them).

Inside each line, nupunkt's pre-trained Punkt model finds the boundaries; a line break always ends a sentence
(articles hold a paragraph per line). A short post-pass of our own then fixes what Punkt gets wrong in news
text: it keeps a title with its name ("Lt. Gov. Eleni Kounalakis", "Msgr. Paul Reilly", "No. 10"), and ends a
sentence after a plain word or after "a.m."/"p.m." when a capital follows ("next month. Landlords must",
"at 4 a.m. Their house") unless a day, month or time zone does ("10 a.m. Thursday"). Measured on
tests/data/sentence_boundaries.txt with `make bench-sentences` (docs/benchmarks.md): the regex this replaced
scored boundary F1 0.80 there, nupunkt alone 0.97 and with the post-pass 0.998 (210 boundaries).
SEE: https://github.com/alea-institute/nupunkt (Punkt: Kiss & Strunk, Computational Linguistics 32(4), 2006)

Both passes are linear in the text; a line longer than any paragraph (hostile input) skips Punkt for a plain
punctuation rule with the same post-pass, so a 300 KB line costs milliseconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from importlib.metadata import version

import nupunkt

#: What splits sentences, for caches of sentence data (ingest/search_index.py): bump the post-pass number
#: whenever the rules below change what they split.
SPLITTER = f"nupunkt {version('nupunkt')} + newsdesk post-pass 2"

#: Longer lines are no prose paragraph (the longest in the MultiHop-RAG corpus has 7,912 characters): they are
#: split by the punctuation rule below instead of Punkt, which costs several µs a character, and not cached.
#: Texts up to this size (every chunk) are split whole and cached.
LONGEST_PARAGRAPH = 20_000
_PUNCTUATION_END = re.compile(r"""(?:[.!?]|…)["'”’)\]]*(?=[ \t]+["'“‘(\[]?[A-Z0-9])""")

# A boundary Punkt put right after a title is dropped ("Lt. Gov. Eleni Kounalakis"): these stand before a name
# and practically never end a sentence in news text.
_TITLES = frozenset(
    "Mr Mrs Ms Mx Messrs Dr Prof Gen Lt Col Maj Capt Cmdr Cdr Sgt Cpl Pvt Adm Brig Rev Msgr Fr Sen Rep Gov Pres "
    "Atty Supt Det Insp Hon Amb Sec St Mt Ft vs v e.g i.e cf approx Approx".split()
)
# ... and one after these only when a number follows: "No. 10", "Sept. 14", "Aug. 29-Sept. 1", "Fig. 3".
_BEFORE_NUMBER = frozenset("No Nos Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec Fig Art".split())
_OPENERS = "(\"'“‘—–"
# A full stop (closing quotes included) before a capitalised word: a boundary Punkt sometimes misses when a plain
# lower-case word stands before it, or "a.m."/"p.m." unless the next word belongs to the time.
_FULL_STOP_THEN_CAPITAL = re.compile(r"\.[\"'”’)\]]*(?=\s+([\"'“‘(\[]?)([A-Z][A-Za-z]*))")
_PLAIN_WORD = re.compile(r"(?:^|[^\w.@])([a-z]{2,})$")
_LOWER_ABBREVIATIONS = frozenset({"vs", "cf", "al", "ca", "approx", "viz", "incl", "esp", "etc"})
_CLOCK = re.compile(r"(?:^|\W)[ap]\.m$")
_NEXT_WORD = re.compile(r"\s*([A-Za-z]*)")
_TIME_WORDS = frozenset(
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday Mon Tue Tues Wed Thu Thurs Fri Sat Sun "
    "January February March April May June July August September October November December Jan Feb Mar Apr "
    "Jun Jul Aug Sep Sept Oct Nov Dec UTC Eastern Central Mountain Pacific Atlantic Greenwich".split()
)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence in ``text``, whitespace trimmed; ``text[start:end]`` is the sentence.

    Example: ``"Mr. Smith met Dr. Jones. It was 3 p.m. Friday."`` gives ``[(0, 24), (25, 46)]``.
    """
    if len(text) <= LONGEST_PARAGRAPH:
        return list(_text_spans(text))
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text):
        offset, body = line.start(), line.group()
        ends = _punkt_ends(body) if len(body) <= LONGEST_PARAGRAPH else _rule_ends(body)
        spans += [(offset + a, offset + b) for a, b in _spans(body, ends)]
    return spans


@lru_cache(maxsize=2048)
def _text_spans(text: str) -> tuple[tuple[int, int], ...]:
    """Spans of a chunk-sized text, with one Punkt call for all its lines (a call per line costs about three
    times as much). Cached: `ask` splits the same retrieved passages again and again."""
    return _spans(text, _punkt_ends(text))


def _spans(text: str, ends: set[int]) -> tuple[tuple[int, int], ...]:
    """Trimmed spans between ``ends``, the boundaries the post-pass adds and every line break."""
    breaks = {match.start() for match in re.finditer("\n", text)}
    spans, start = [], 0
    for end in [*sorted(ends | breaks | _missed_ends(text)), len(text)]:
        piece = text[start:end]
        lead, body = len(piece) - len(piece.lstrip()), piece.strip()
        if body:
            spans.append((start + lead, start + lead + len(body)))
        start = end
    return tuple(spans)


def _punkt_ends(line: str) -> set[int]:
    """Punkt's sentence ends inside ``line``, less those right after a title, an initial or "No." + number."""
    return _kept(line, (start + len(line[start:end].rstrip()) for start, end in nupunkt.sent_spans(line)))


def _rule_ends(line: str) -> set[int]:
    """Every . ! ? or … (closing quotes included) before a space and a capital, digit or quote, filtered alike."""
    return _kept(line, (m.end() for m in _PUNCTUATION_END.finditer(line)))


def _kept(line: str, ends: Iterable[int]) -> set[int]:
    """``ends`` inside the line, less those after a title, after "No." and the like before a number, after
    "a.m."/"p.m." before a day or time zone, and after a single initial before a capital ("George W. Bush",
    "—N. Clark"; not "R&D.", "USB-C." or "X. ‘El Jefe’")."""
    kept, last = set(), len(line.rstrip())
    for end in ends:
        if not 0 < end < last:
            continue
        words = line[max(0, end - 16) : end].split()
        word = words[-1].lstrip(_OPENERS) if words else ""
        after = line[end : end + 8].lstrip()[:1]
        if word.endswith(".") and (
            word[:-1] in _TITLES
            or (after.isdigit() and word[:-1].rpartition("-")[2] in _BEFORE_NUMBER)
            or (len(word) == 2 and "A" <= word[0] <= "Z" and after.isupper())
            or (word in ("a.m.", "p.m.") and _is_time_word(_NEXT_WORD.match(line, end).group(1)))
        ):
            continue
        kept.add(end)
    return kept


def _missed_ends(line: str) -> set[int]:
    """Boundaries Punkt misses: a plain word or a clock time, a full stop, then a capital."""
    ends = set()
    for match in _FULL_STOP_THEN_CAPITAL.finditer(line):
        before = line[max(0, match.start() - 24) : match.start()]
        word = _PLAIN_WORD.search(before)
        if (word and word.group(1) not in _LOWER_ABBREVIATIONS) or (
                _CLOCK.search(before) and (match.group(1) or not _is_time_word(match.group(2)))):
            ends.add(match.end())
    return ends


def _is_time_word(word: str) -> bool:
    """A day, a month or a time zone ("EST", "NZST"): after "a.m." it belongs to the time."""
    return word in _TIME_WORDS or (word.isupper() and 2 <= len(word) <= 5 and word.endswith("T"))
