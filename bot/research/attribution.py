"""Who said what in one article: quotations and reported speech, each with its speaker and reporting chain.

``find_quotes(body)`` reads the body once, in order, with rules rather than a model (nothing is downloaded):

1. Quotation marks are paired in one pass: straight, curly and guillemets, single quotes at the top level, a
   closing curly mark used as an opener at a paragraph start (as in the seed article), and a quotation that runs
   over paragraphs in news style (a paragraph left open and the next one opened again) is one quotation.
2. Sentences are cut at terminal punctuation and line breaks outside quotations, so a quotation of several
   sentences stays in the sentence of its attribution.
3. Each sentence is read as "SPEAKER said (that) …" (with "according to X, …"), as "…, SPEAKER said" (also
   "said SPEAKER", "according to X", "as reported by X"), and each quotation left over by the words around it
   ('"…," she said, "…"', 'X was blunt: "…"'); a quotation alone in its sentence continues the quotation of the
   sentence before.
4. Pronouns (he, she, they) become the nearest named person before them, a surname alone becomes the full name
   given earlier, and an unnamed source inherits the outlet the article says it is retelling ("…, The Atlantic
   has reported").

Every step looks at a bounded window (a few hundred characters) of each sentence, so the work is linear in the
body, whatever the input. ``bot.research.attribution_clauses`` reads the clauses and ``bot.research.speakers``
the speaker phrases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.research.attribution_clauses import (
    LEAD_WINDOW,
    QUOTE_CHARS,
    attribution_of,
    head_attribution,
    lead_clause,
    tail_clause,
)
from bot.research.quote_types import Quote, SpeechKind
from bot.research.speakers import ROLE_WORDS, Speaker, outlet_name, speaker_of

#: A quotation still open after this many characters was a stray mark: it is dropped, not stretched to the end.
MAXQUOTE_CHARS = 6000
#: An unattributed quotation shorter than this is a title or a scare quote ("peace plan"), not speech.
MIN_UNATTRIBUTED_WORDS = 5

_MARKS = re.compile(r"\n\s*|[\"“”„«»‘’']")
_OPEN_DOUBLE = "“„«"
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’»)\]]*\s+|\n\s*")
_ABBREVIATIONS = frozenset("dr mr mrs ms mx st gen col lt gov sen rep prof jr sr no vs inc co corp ltd maj capt "
                           "sgt adm rev messrs u.s u.n u.k e.g i.e fr mt ft".split())
_TOKEN = re.compile(r"\S+")
_CLAUSE_JOINS = re.compile(r",\s+(?:and|but|while)\s+|;\s+")
_FULL_NAME = re.compile(r"\b([A-Z][a-z'’-]+) ([A-Z][a-z'’-]+)\b")
_NOT_FIRST_NAMES = frozenset("The A An In On At But And He She They It We This That His Her Their Our When After "
                             "Since As If Asked According Speaking".split())


def find_quotes(body: str) -> tuple[Quote, ...]:
    """Every quotation and piece of reported speech in ``body``, in order; ``text == body[start:end]``.

    Spans never overlap: a quotation inside reported speech ('Lavrov said the talks were "a waste of time"') is
    part of that reported speech. Never raises; the work is linear in ``len(body)``.
    """
    reader = _Reader(body)
    spans = quotation_spans(body)
    for start, end in sentence_spans(body, spans):
        reader.read_sentence(start, end, [s for s in _within(spans, start, end)])
    quotes = sorted(reader.quotes, key=lambda q: (q.start, q.end))
    kept: list[Quote] = []
    for quote in quotes:
        if not kept or quote.start >= kept[-1].end:
            kept.append(quote)
    return tuple(kept)


def quotation_spans(body: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each quotation, marks included, in one pass over the quotation marks and line breaks."""
    spans: list[tuple[int, int]] = []
    open_at, single, resume_at = -1, False, -1
    for match in _MARKS.finditer(body):
        at, mark = match.start(), body[match.start()]
        if mark == "\n":
            # News style: a paragraph that ends inside a quotation and a next one that opens with a mark continue it.
            reopened = match.end() < len(body) and body[match.end()] in "\"“”„«"
            resume_at = match.end() if open_at >= 0 and not single and reopened else -1
            if resume_at < 0:
                open_at = -1
            continue
        if open_at >= 0 and at - open_at > MAXQUOTE_CHARS:
            open_at = -1
        if at == resume_at:
            resume_at = -1
            continue
        before = body[at - 1] if at else " "
        after = body[at + 1] if at + 1 < len(body) else " "
        if mark in "'‘’":
            if open_at < 0 and mark != "’" and (before.isspace() or before in "([—–-") and after.isalnum():
                open_at, single = at, True
            elif open_at >= 0 and single and mark != "‘" and not before.isspace() and not after.isalnum():
                spans.append((open_at, at + 1))
                open_at = -1
            continue
        if open_at < 0:
            opens = mark in _OPEN_DOUBLE or (mark in "\"”" and (before.isspace() or before in "([—–-"))
            if opens and not after.isspace():
                open_at, single = at, False
            continue
        if single:
            continue
        if (mark == "\"" and before.isspace() and after.isalnum()) or mark in _OPEN_DOUBLE[1:] or (
                mark == "“" and not (after.isspace() or after in ",.;:!?")):
            open_at = at  # a second opener: the first mark was stray
            continue
        spans.append((open_at, at + 1))
        open_at = -1
    return spans


def sentence_spans(body: str, quotations: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sentences as ``(start, end)``, never cut inside a quotation (which may hold several sentences)."""
    sentences: list[tuple[int, int]] = []
    start, index = 0, 0
    for match in _BOUNDARY.finditer(body):
        at = match.start()
        while index < len(quotations) and quotations[index][1] <= at:
            index += 1
        inside = index < len(quotations) and quotations[index][0] < at
        if inside and quotations[index][1] > match.end() - len(match.group()) + len(match.group().rstrip()):
            continue  # the terminator is inside a quotation that goes on
        if "\n" not in match.group():
            following = body[match.end():match.end() + 1]
            word = body[max(start, at - 12):at].rsplit(None, 1)[-1:] or [""]
            if not (following.isupper() or following.isdigit() or following in QUOTE_CHARS + "(") or (
                    word[0].casefold().strip("(") in _ABBREVIATIONS or (len(word[0]) == 1 and word[0].isupper())):
                continue
        end = at + len(match.group().rstrip())
        if end > start:
            sentences.append((start, end))
        start = match.end()
    if start < len(body) and body[start:].strip():
        sentences.append((start, len(body.rstrip())))
    return sentences


def _within(spans: list[tuple[int, int]], start: int, end: int) -> list[tuple[int, int]]:
    from bisect import bisect_left

    first = bisect_left(spans, (start, -1))
    found = []
    for span in spans[first:]:
        if span[0] >= end:
            break
        if span[1] <= end:
            found.append(span)
    return found


@dataclass
class _Reader:
    """The state carried from sentence to sentence: the quotes so far and what later pronouns refer to."""

    body: str
    quotes: list[Quote] = field(default_factory=list)
    last_person: tuple[str, str | None] | None = None
    last_speaker: tuple[str, str | None, bool] | None = None
    people: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    last_outlet: str | None = None
    retold_via: tuple[str, ...] = ()
    sentence_index: int = 0
    last_direct: tuple[int, Speaker] | None = None

    def read_sentence(self, start: int, end: int, spans: list[tuple[int, int]]) -> None:
        self.sentence_index += 1
        masked = _masked(self.body, start, end, spans)
        self._note_subject(masked)
        covered = self._read_clauses(masked, start, spans, depth=0)
        text_from = start + len(masked) - len(masked.lstrip())
        text_to = start + len(masked.rstrip(" .!?\n"))
        for number, span in enumerate(spans):
            if any(a <= span[0] and span[1] <= b for a, b in covered):
                continue
            previous_end = spans[number - 1][1] if number else start
            next_start = spans[number + 1][0] if number + 1 < len(spans) else end
            head = masked[previous_end - start:span[0] - start]
            tail = masked[span[1] - start:next_start - start]
            found = attribution_of(tail.strip(" \t\n,;").rstrip(".!?"), self.last_outlet) or head_attribution(
                head, self.last_outlet)
            alone = span[0] == text_from and span[1] >= text_to
            if found is None and alone and self.last_direct and self.last_direct[0] >= self.sentence_index - 1:
                found = self.last_direct[1]
            if found is None and len(self.body[span[0]:span[1]].split()) < MIN_UNATTRIBUTED_WORDS:
                continue
            self._emit_direct(span, found)

    def _read_clauses(self, masked: str, offset: int, spans: list[tuple[int, int]],
                      depth: int) -> list[tuple[int, int]]:
        """Reads ``masked`` as one or more "X said …" / "…, X said" clauses; returns the body spans it attributed."""
        lead = lead_clause(masked, self.last_outlet)
        tail = tail_clause(masked, self.last_outlet)
        if lead is not None and tail is not None and (tail[0].name or tail[0].pronoun) and tail[1] > lead[1]:
            lead = None  # "Trump has complained that …, officials told Politico": the officials are the source
        if lead is not None:
            speaker, clause_start = lead
            clause_end = len(masked.rstrip())
            if depth < 2:
                for join in list(_CLAUSE_JOINS.finditer(masked, clause_start))[:3]:
                    if lead_clause(masked[join.end():], self.last_outlet) is not None:
                        # "Lund replied that help was on the way, and an EU official said …": two speakers, in order.
                        first = self._clause(speaker, masked, offset, clause_start, join.start(), spans)
                        return first + self._read_clauses(masked[join.end():], offset + join.end(), spans, depth + 1)
            return self._clause(speaker, masked, offset, clause_start, clause_end, spans)
        if tail is not None:
            speaker, content_end = tail
            return self._clause(speaker, masked, offset, 0, content_end, spans)
        return []

    def _clause(self, speaker: Speaker, masked: str, offset: int, start: int, end: int,
                spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Emits the speech in ``masked[start:end]`` (a whole quotation is direct speech); returns its body span."""
        trailer = tail_clause(masked[start:end], self.last_outlet)
        if trailer is not None and trailer[0].name is None and trailer[0].via and not trailer[0].pronoun:
            speaker, end = speaker.with_via(*trailer[0].via), start + trailer[1]  # "…, RIA Novosti reported"
        text = masked[start:end]
        lstrip = len(text) - len(text.lstrip())
        a, b = offset + start + lstrip, offset + start + len(text.rstrip(" \t\n,;:"))
        if b > a and self.body[b - 1] in ".!?" and (b - a) > 1:
            b -= 1
        whole = next((s for s in spans if s[0] == a and s[1] >= b - 1 and s[1] <= b + 1), None)
        if whole is not None:
            self._emit_direct(whole, speaker)
            return [whole]
        if len(self.body[a:b].split()) < 2:
            return []
        self._emit(a, b, "indirect", speaker)
        return [(a, b)]

    def _emit_direct(self, span: tuple[int, int], speaker: Speaker | None) -> None:
        inner_start, inner_end = span[0] + 1, span[1] - 1
        text = self.body[inner_start:inner_end]
        a = inner_start + len(text) - len(text.lstrip())
        b = inner_start + len(text.rstrip(" \t\n,"))
        if b > a:
            self._emit(a, b, "direct", speaker)
            if speaker is not None:
                self.last_direct = (self.sentence_index, speaker)

    def _emit(self, start: int, end: int, kind: SpeechKind, speaker: Speaker | None) -> None:
        name, role, anonymous, via = self._resolved(speaker) if speaker else (None, None, False, ())
        for outlet in via:
            self.last_outlet = outlet
        if speaker is not None and not speaker.pronoun and via and (speaker.name is None or anonymous):
            self.retold_via = via  # "…, The Atlantic has reported": what unnamed sources after it are quoted from
        self.quotes.append(Quote(self.body[start:end], start, end, kind, name, role, anonymous, via))

    def _resolved(self, speaker: Speaker) -> tuple[str | None, str | None, bool, tuple[str, ...]]:
        name, role, anonymous = speaker.name, speaker.role, speaker.anonymous
        if speaker.pronoun:
            found = self.last_speaker if speaker.pronoun == "they" and self.last_speaker else (
                (*self.last_person, False) if self.last_person else None)
            if found is None:
                return None, None, False, speaker.via
            name, role, anonymous = found
        elif name and not anonymous and " " not in name and name in self.people:
            name, earlier_role = self.people[name]
            role = role or earlier_role
        via = speaker.via or (self.retold_via if anonymous else ())
        if name:
            self.last_speaker = (name, role, anonymous)
            if not anonymous and name[:1].isupper():
                self._remember(name, role)
        return name, role, anonymous, via

    def _remember(self, name: str, role: str | None) -> None:
        self.last_person = (name, role)
        if " " in name:
            self.people[name.split()[-1]] = (name, role)

    def _note_subject(self, masked: str) -> None:
        """"Judge Amelia Ward adjourned the hearing.": the person a later "she said" refers to; and every full
        name ("Her captain, Mia Holt, …") that a later surname alone ("Holt said") refers to."""
        for full in _FULL_NAME.finditer(masked[:LEAD_WINDOW]):
            first, last = full.groups()
            if first not in _NOT_FIRST_NAMES and not ({first.casefold(), last.casefold()} & ROLE_WORDS) and \
                    last not in self.people:
                self.people[last] = (f"{first} {last}", None)
        run: list[str] = []
        for token in _TOKEN.findall(masked[:200])[:8]:
            if not (token[:1].isupper() or token.casefold() in ("de", "van", "von", "al", "chief", "minister",
                                                                 "secretary", "spokesman", "spokeswoman", "director",
                                                                 "leader", "engineer", "governor")):
                break
            run.append(token.rstrip(","))
            if token.endswith(","):
                break
        if len(run) >= 2 and (outlet := outlet_name(" ".join(run))):
            self.last_outlet = outlet  # "The Financial Times first reported …": "the paper" later is this outlet
        elif len(run) >= 2:
            found = speaker_of(" ".join(run))
            if found and found.name and " " in found.name and not found.anonymous:
                self._remember(found.name, found.role)


def _masked(body: str, start: int, end: int, spans: list[tuple[int, int]]) -> str:
    """The sentence with each quotation's inside replaced by "_", so rules never read quoted words as clauses."""
    pieces, at = [], start
    for a, b in spans:
        pieces.append(body[at:a + 1])
        pieces.append("_" * (b - a - 2))
        at = b - 1
    pieces.append(body[at:end])
    return "".join(pieces)
