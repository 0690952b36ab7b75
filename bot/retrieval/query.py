"""What a news question says besides its topic: the outlets it names, the dates it gives, the names it asks
about. No language model: patterns and the collection's own vocabulary, so it is fast and predictable;
relative dates ("last Tuesday") are read by dateparser against a reference day the caller passes.

Every pattern here runs in time linear in the question, but outlet names are hundreds of patterns, so a question
is only read up to ``MAX_QUESTION_CHARS``: the rest of a longer one is ignored (truncated, not refused; the
Telegram bot refuses such questions outright). At that length a question that names every outlet takes about
0.1 s here.
"""

from __future__ import annotations

import bisect
import calendar
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from dateparser.date import DateDataParser

T = TypeVar("T")

#: Questions are parsed up to this many characters (a Telegram message holds up to 4096).
MAX_QUESTION_CHARS = 2000
MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS |= {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
MONTHS["sept"] = 9
_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d{2})"


#: A question asking for an amount: retrieval favours chunks with a figure for it, and the answerer wants a
#: number in its quote (``bot/answering/coverage.py``).
QUANTITY_QUESTION = re.compile(
    r"\bhow\s+(?:many|much|large|big|long|far|old|high|tall|fast|often)\b|\bnumber\s+of\b|"
    r"\bwhat\s+(?:percentage|percent|proportion|share|fraction|amount|sum|figure|total)\b",
    re.I,
)


def asks_quantity(question: str) -> bool:
    """Whether ``question`` asks how much, how many, what share…: ``"How many people died?"`` → True."""
    return bool(QUANTITY_QUESTION.search(question))


def month_number(name: str) -> int | None:
    """The month a matched name stands for: ``"Sept."`` → 9. Under ``re.I`` the patterns also match letters
    that only fold to ASCII ("ſeptember" with a long s, "oct" with the Kelvin sign K), which ``lower()`` keeps,
    so the name is NFKC-normalised and case-folded first; None for anything still not a month."""
    return MONTHS.get(unicodedata.normalize("NFKC", name).casefold().rstrip("."))



_WEEKDAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
_PART = {"early": (1, 10), "start": (1, 10), "beginning": (1, 10), "mid": (11, 20), "middle": (11, 20),
         "late": (21, 31), "end": (21, 31)}
_QUARTERS = {"q1": 1, "q2": 2, "q3": 3, "q4": 4, "first": 1, "second": 2, "third": 3, "fourth": 4,
             "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}
# Ranges our patterns read better than dateparser (it returns nothing for "early October" or "the weekend of
# 4 November", and mid-quarter for "Q3 2023"); tried before the plain patterns, which would take only the month.
_RANGE_PATTERNS = (
    re.compile(rf"\b(?:the\s+)?(?P<part>early|mid|late)[-\s]+{_MONTH}(?:,?\s+(?:of\s+)?{_YEAR})?\b", re.I),
    re.compile(rf"\bthe\s+(?P<part>start|beginning|middle|end)\s+of\s+{_MONTH}(?:,?\s+(?:of\s+)?{_YEAR})?\b",
               re.I),
    re.compile(rf"\b(?:the\s+)?weekend\s+of\s+(?:the\s+)?{_DAY}\s+(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR})?\b", re.I),
    re.compile(rf"\b(?:the\s+)?weekend\s+of\s+{_MONTH}\s+{_DAY}(?:,?\s+{_YEAR})?\b", re.I),
    re.compile(r"\b(?:(?P<quarter>Q[1-4])|(?:the\s+)?(?P<ordinal>first|second|third|fourth|1st|2nd|3rd|4th)"
               r"\s+quarter)(?:\s+of)?,?\s+(?:FY\s*)?(?P<year>(?:19|20)\d{2})\b", re.I),
)
# Dates only a reference day can resolve ("last Tuesday", "three weeks ago"): read by dateparser.
_RELATIVE = re.compile(
    rf"\b(?:yesterday|today|(?:last|this|past|previous)\s+(?:week(?:end)?|month|year|{_WEEKDAY})"
    rf"|(?:\d{{1,2}}|an?|one|two|three|four|five|six|seven|eight|nine|ten)\s+(?:days?|weeks?|months?|years?)\s+ago"
    rf"|a\s+fortnight\s+ago|on\s+{_WEEKDAY})\b", re.I)
#: At most this many relative dates per question go to dateparser (about 0.1-1 ms each once warm).
MAX_RELATIVE_DATES = 4

_DATE_PATTERNS = (
    re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b", re.I),  # October 5, 2023
    re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}\b", re.I),  # 5 October 2023
    re.compile(r"\b(?P<year>(?:19|20)\d{2})-(?P<mnum>\d{2})-(?P<day>\d{2})\b"),  # 2023-10-05
    re.compile(rf"\b(?:in|during|throughout|since|early|late|mid-?)\s+{_MONTH}(?:\s+(?:of\s+)?{_YEAR})?\b", re.I),
)
# Two or more capitalised words: the people, companies and places a question is about.
_NAME_WORD = r"[A-Z][a-z]+(?:[A-Z][a-z]+)?(?:[-'][A-Z]?[a-z]+)?"
_PROPER_NAME = re.compile(rf"\b{_NAME_WORD}(?:\s+(?:(?:of|de|del|la|von|van|der)\s+)?(?:{_NAME_WORD}|[A-Z]\.))+")


@dataclass(frozen=True, slots=True)
class DateSpec:
    """A day, or a month (of any year when none is given), that a question is about."""

    year: int | None
    month: int
    day: int | None
    start: int  # character offset in the question
    #: A range of days ("early October 2023", "Q3 2023", "last week"), first and last day included.
    first: date | None = None
    last: date | None = None

    def bounds(self) -> tuple[float, float] | None:
        """(first, last) second covered, with a day's slack for time zones; None for a month of any year."""
        if self.year is None:
            return None
        if self.first is not None and self.last is not None:
            return (datetime(self.first.year, self.first.month, self.first.day, tzinfo=UTC).timestamp() - 86400,
                    datetime(self.last.year, self.last.month, self.last.day, tzinfo=UTC).timestamp() + 2 * 86400)
        if self.day is not None:
            moment = datetime(self.year, self.month, self.day, tzinfo=UTC).timestamp()
            return moment - 86400, moment + 2 * 86400
        last = calendar.monthrange(self.year, self.month)[1]
        return (datetime(self.year, self.month, 1, tzinfo=UTC).timestamp(),
                datetime(self.year, self.month, last, 23, 59, 59, tzinfo=UTC).timestamp())


def _range(year: int, month: int, first_day: int, last_day: int, start: int) -> DateSpec:
    """Days ``first_day``..``last_day`` of a month, the last one clipped to the month's length."""
    last_day = min(last_day, calendar.monthrange(year, month)[1])
    return DateSpec(year, month, None, start, date(year, month, first_day), date(year, month, last_day))


def _span(first: date, last: date, start: int) -> DateSpec:
    return DateSpec(first.year, first.month, None, start, first, last)


def _range_date(match: re.Match[str], today: date | None) -> DateSpec | None:
    groups = match.groupdict()
    if groups.get("quarter") or groups.get("ordinal"):
        quarter = _QUARTERS[(groups.get("quarter") or groups["ordinal"]).casefold()]
        year = int(groups["year"])
        last_month = 3 * quarter
        return _span(date(year, last_month - 2, 1),
                     date(year, last_month, calendar.monthrange(year, last_month)[1]), match.start())
    month = month_number(groups["month"])
    if month is None:
        return None
    # Without a year, the latest such month up to ``today`` (none without a reference day: any year).
    year = int(groups["year"]) if groups.get("year") else (
        None if today is None else today.year - (month > today.month))
    if groups.get("part"):
        low, high = _PART[groups["part"].casefold()]
        if year is None:
            return DateSpec(None, month, None, match.start())
        return _range(year, month, low, high, match.start())
    day = int(groups["day"])
    if not 1 <= day <= calendar.monthrange(year or 2000, month)[1]:
        return None
    if year is None:
        return DateSpec(None, month, day, match.start())
    # The Saturday and Sunday of the weekend the day belongs to (a Friday's: the one that follows it).
    named = date(year, month, day)
    saturday = named + timedelta(days=(5 - named.weekday()) if named.weekday() < 6 else -1)
    return _span(min(named, saturday), saturday + timedelta(days=1), match.start())


@lru_cache(maxsize=8)
def _relative_parser(today: date) -> DateDataParser:
    """dateparser, English only (trying every language made one miss cost seconds), relative to ``today``."""
    from dateparser.date import DateDataParser  # on first use: importing it takes about 0.3 s

    return DateDataParser(languages=["en"], settings={
        "PREFER_DATES_FROM": "past", "RETURN_TIME_AS_PERIOD": True,
        "RELATIVE_BASE": datetime(today.year, today.month, today.day)})


@lru_cache(maxsize=1024)
def _relative_date(text: str, today: date) -> tuple[date, date] | None:
    """The days a relative expression covers, seen from ``today`` (dateparser; "last weekend" by hand)."""
    if text.endswith("weekend"):
        last_saturday = today - timedelta(days=(today.weekday() - 5) % 7 or 7)
        return last_saturday, last_saturday + timedelta(days=1)
    past = {"past week": 7, "past month": 30, "past year": 365}.get(" ".join(text.split()))
    if past:  # the days up to today, where "last week" is the calendar week before this one
        return today - timedelta(days=past), today
    text = re.sub(r"^(?:past|previous)\b", "last", text)
    data = _relative_parser(today).get_date_data(text)
    if data.date_obj is None:
        return None
    day = data.date_obj.date()
    if data.period == "week":
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=6)
    if data.period == "month":
        return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])
    if data.period == "year":
        return date(day.year, 1, 1), date(day.year, 12, 31)
    return day, day


def _safely(read: Callable[..., T], *args: object) -> T | None:
    """``read(*args)``, or None where the date falls outside what ``datetime`` holds (a reference day in year 1)."""
    try:
        return read(*args)
    except (ValueError, OverflowError):
        return None


_CAPITALISED_BEFORE = re.compile(r"[A-Z][\w&.'-]*\s+$")
_CAPITALISED_AFTER = re.compile(r"\s+[A-Z]")


def _part_of_a_name(question: str, match: re.Match[str]) -> bool:
    """"Business Today", "USA Today", "on Saturday Night Live": a capitalised word next to it makes it a name."""
    capitalised = match.group(0)[:1].isupper()
    return bool((capitalised and _CAPITALISED_BEFORE.search(question, max(0, match.start() - 40), match.start()))
                or _CAPITALISED_AFTER.match(question, match.end()))


def find_dates(question: str, *, today: date | None = None) -> list[DateSpec]:
    """The dates a question names, in order. Relative ones ("last Tuesday", "two weeks ago") are resolved
    against ``today``, the caller's reference day, and ignored without one: the parser never reads the clock."""
    question = question[:MAX_QUESTION_CHARS]
    found: dict[int, DateSpec] = {}
    starts: list[int] = []  # the keys of ``found``, sorted: its neighbours are found by bisection, not by a scan
    ends: dict[int, int] = {}  # where the range or relative date found at a start ends

    def covered(at: int) -> bool:
        """Whether ``at`` falls inside a range already found ("4 November 2023" in "the weekend of ...")."""
        before = bisect.bisect_right(starts, at) - 1
        return before >= 0 and ends.get(starts[before], 0) > at

    for pattern in _RANGE_PATTERNS:
        for match in pattern.finditer(question):
            if covered(match.start()) or not (spec := _safely(_range_date, match, today)):
                continue
            found[match.start()], ends[match.start()] = spec, match.end()
            bisect.insort(starts, match.start())
    if today is not None:
        for match in itertools.islice(_RELATIVE.finditer(question), MAX_RELATIVE_DATES):
            if _part_of_a_name(question, match):
                continue
            days = _safely(_relative_date, unicodedata.normalize("NFKC", match.group(0)).casefold(), today)
            if days and not covered(match.start()):
                found[match.start()], ends[match.start()] = _span(days[0], days[1], match.start()), match.end()
                bisect.insort(starts, match.start())
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(question):
            at = bisect.bisect_left(starts, match.start() - 11)
            if (at < len(starts) and starts[at] < match.start() + 12) or covered(match.start()):
                continue  # "on October 5, 2023" is one date, not a day and a month
            groups = match.groupdict()
            month = int(groups["mnum"]) if groups.get("mnum") else month_number(groups["month"])
            if month is None:
                continue
            year = int(groups["year"]) if groups.get("year") else None
            day = int(groups["day"]) if groups.get("day") else None
            last_day = calendar.monthrange(year or 2000, month)[1] if 1 <= month <= 12 else 0
            if not last_day or (day is not None and not 1 <= day <= last_day):
                continue  # "February 30" is no date (a day without a year is checked against a leap year)
            found[match.start()] = DateSpec(year, month, day, match.start())
            bisect.insort(starts, match.start())
    return sorted(found.values(), key=lambda d: d.start)


@dataclass(frozen=True, slots=True)
class OutletMention:
    """An outlet named in a question: ``keys`` are the collection's outlet keys it stands for (empty: absent)."""

    name: str
    start: int
    end: int
    keys: frozenset[str]


class OutletMatcher:
    """Finds outlet names in questions: those in the collection, and known outlets that are not in it."""

    def __init__(self, present: dict[str, set[str]], known_absent: Iterable[str]) -> None:
        """``present`` maps each surface form (a name, a short name, a domain) to collection outlet keys."""
        # Each pattern as the function that compiles it and its argument: a thousand regexes took half a second
        # to compile at every start (#16), and a question needs the few whose needle it holds (see ``find``).
        self._surfaces: list[tuple[Callable[[str], re.Pattern[str]], str, str, frozenset[str]]] = []
        for surface, keys in present.items():
            self._surfaces.append((_surface_pattern, surface, surface, frozenset(keys)))
        for name in known_absent:
            short = name[4:] if name.startswith("The ") else name
            for surface in {name, short}:
                if surface not in present and _distinctive(surface):
                    # Absent outlets need a news context ("according to Bloomberg", "a Reuters report"), so
                    # that a common word that happens to be an outlet's name never makes the bot refuse.
                    self._surfaces.append((_absent_pattern, surface, name, frozenset()))
        # Longest names first, so "The Independent - Sports" wins over "The Independent".
        self._surfaces.sort(key=lambda item: len(item[2]), reverse=True)
        # Hundreds of patterns: only those whose rarest word occurs in the question are tried.
        self._needle = [_needle(name) for _, _, name, _ in self._surfaces]
        self._compiled: dict[int, re.Pattern[str]] = {}

    def find(self, question: str) -> list[OutletMention]:
        # The spans taken so far, disjoint and sorted by start (so by end too): an overlap is found by bisection.
        question = question[:MAX_QUESTION_CHARS]
        starts: list[int] = []
        ends: list[int] = []
        mentions = []
        haystack = question.casefold()
        for at, ((compile_, surface, name, keys), needle) in enumerate(zip(self._surfaces, self._needle, strict=True)):
            if needle not in haystack:
                continue
            if (pattern := self._compiled.get(at)) is None:
                pattern = self._compiled[at] = compile_(surface)
            for match in pattern.finditer(question):
                start, end = match.span("name") if match.group("name") else match.span("alt")
                at = bisect.bisect_right(ends, start)  # the first span taken that ends after this one starts
                if at < len(starts) and starts[at] < end:
                    continue
                starts.insert(at, start)
                ends.insert(at, end)
                mentions.append(OutletMention(name, start, end, keys))
        return sorted(mentions, key=lambda m: m.start)


def _needle(surface: str) -> str:
    """The longest word of a surface form, lower-cased: a cheap test that its pattern cannot match."""
    return max(re.findall(r"[^\W_]+", surface.casefold()) or [surface.casefold()], key=len)


def _surface_pattern(surface: str) -> re.Pattern[str]:
    escaped = re.escape(surface)
    # Short names and names without their "The" must match with their own capitals ("The Age" → "Age").
    flags = 0 if len(surface) <= 4 or not surface[:1].isupper() or surface.count(" ") == 0 else re.I
    return re.compile(rf"(?<![\w.])(?P<name>{escaped})(?![\w])", flags)


_CONTEXT_BEFORE = (r"(?:according to|reported by|reports? (?:by|from|in)|(?:articles?|pieces?|stories|story|reports?|"
                   r"analysis) (?:by|from|in|of)|published (?:by|in|on)|by|from|in)")
_CONTEXT_AFTER = (r"(?:'s|’s|\s+(?:article|report|reported|reports|reporting|piece|story|analysis|coverage|journalist|"
                  r"says|said|claims))")


def _absent_pattern(name: str) -> re.Pattern[str]:
    escaped = re.escape(name)
    return re.compile(
        rf"(?:\b(?i:{_CONTEXT_BEFORE}\s+(?:the\s+|an?\s+)?)['‘]?(?P<name>{escaped})(?![\w]))"
        rf"|(?:(?<![\w.])(?P<alt>{escaped})(?={_CONTEXT_AFTER}))"
    )


def _distinctive(name: str) -> bool:
    """Names worth looking for even when absent: capitalised, and two words, five letters or an acronym."""
    if name.isupper():
        return len(name) >= 3
    return name[:1].isupper() and (" " in name or len(name) >= 5)


def proper_names(question: str, ignore: Iterable[tuple[int, int]] = ()) -> list[str]:
    """Multi-word capitalised names in ``question`` that are not inside the given spans (outlet mentions)."""
    spans = list(ignore)
    names = []
    for match in _PROPER_NAME.finditer(question[:MAX_QUESTION_CHARS]):
        if any(match.start() < e and s < match.end() for s, e in spans):
            continue
        words = match.group(0).split()
        while words and words[0].lower() in _LEADING_WORDS:
            words = words[1:]
        if len(words) >= 2:
            names.append(" ".join(words))
    return names


_LEADING_WORDS = {"does", "did", "do", "is", "was", "were", "are", "which", "what", "who", "whom", "how", "when",
                  "where", "why", "has", "have", "had", "considering", "according", "after", "before", "between",
                  "both", "the", "in", "on", "as", "while", "and", "but", "if", "from", "regarding"}


# "[a-z]+(?:[A-Z][a-z]*)?", not the equivalent "[a-z]+[A-Z]?[a-z]*": with the capital absent, that form can split a
# run of letters between its two lower-case groups in every way, which is quadratic backtracking on a long word
# that the lookahead then rejects ("a Bbbb…b1").
_SINGLE_NAME = re.compile(r"(?<=[a-z,] )(?:[A-Z][a-z]+(?:[A-Z][a-z]*)?)(?=[\s,.?!;:']|$)")


def single_names(question: str, ignore: Iterable[tuple[int, int]] = ()) -> list[str]:
    """Capitalised single words inside a sentence (after a lower-case word): names like "Grindavik"."""
    spans = list(ignore)
    return [m.group(0) for m in _SINGLE_NAME.finditer(question[:MAX_QUESTION_CHARS])
            if len(m.group(0)) >= 4 and not any(m.start() < e and s < m.end() for s, e in spans)
            and m.group(0).lower() not in _LEADING_WORDS]

