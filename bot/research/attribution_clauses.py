"""The clauses that attribute speech: "X said (that) …", "…, X said", "according to X", "said X", "X told Y".

``bot.research.attribution`` cuts sentences and quotations and calls these on a masked sentence (quotations'
insides replaced by "_", so quoted words are never read as a clause); ``bot.research.speakers`` reads the
speaker phrases they find. Each function reads a bounded window of its text (``LEAD_WINDOW``, ``TAIL_WINDOW``)
with regexes that have no nested repetition, so hostile input costs linear time.
"""

from __future__ import annotations

import re

from bot.research.speakers import Speaker, is_between_word, is_reporting_verb, outlet_name, speaker_of

#: How much of a sentence's start (for "X said …") and end (for "…, X said") is read for an attribution.
LEAD_WINDOW = 400
TAIL_WINDOW = 300
QUOTE_CHARS = "\"“”„«»‘’'"
_TOKEN = re.compile(r"\S+")
_LEAD_ACCORDING = re.compile(r"\s*(?:(?:but|and|however),?\s+)?according to ([^,_]{1,150}),\s*", re.IGNORECASE)
_TAIL_ACCORDING = re.compile(r"(?:and\s+)?according to (.{1,200})$", re.IGNORECASE | re.DOTALL)
_AS_REPORTED = re.compile(r"as (?:first )?reported by (.{1,120})$", re.IGNORECASE | re.DOTALL)
_THAT_OR_COLON = re.compile(r"\bthat\b|:")
_AFTER_VERB = re.compile(r"[ \t]*[,:]?[ \t]*(?:that\b[ \t]*)?")
_ADVERBIAL_STARTS = frozenset("in on at to for with about of by from last this earlier yesterday today late "
                              "during after before".split())
#: Words that may open what follows an attribution ("said last week", "told reporters outside the town hall").
_TRAILER_STARTS = frozenset("in on at to for with about of by from last this earlier yesterday today tonight late "
                            "during after before outside inside while when later afterwards shortly again also "
                            "separately too as according citing speaking here there via".split())
_TOLD = frozenset(("told", "tells", "tell"))
_OBJECT_WORDS = frozenset("them him her us me reporters journalists aides parents lawmakers parliament congress "
                          "supporters colleagues staff students voters viewers listeners investors employees "
                          "delegates".split())
_TRAILER_CITING = re.compile(r"citing (.{1,150})$", re.IGNORECASE | re.DOTALL)
_TRAILER_REPORTED = re.compile(r",\s*([^,]{1,80}?)\s+(?:has |had )?reported\b", re.IGNORECASE)
_TRAILER_WHICH = re.compile(r"(?:which|who) (?:cited|quoted) ([^,]{1,80})", re.IGNORECASE)
#: "Reuters quoted Deputy Prime Minister Ilse Baum as saying (that) …"
_QUOTED_AS_SAYING = re.compile(r"([^,_]{1,80}?) quoted ([^_]{1,150}?) as saying,?\s+(?:that\s+)?")
_TRAILER_INTERVIEW = re.compile(r"(?:interview with|speaking to|in comments to)\s+([^,]{1,80})", re.IGNORECASE)




def is_quoted(text: str) -> bool:
    """Whether ``text`` (masked) holds a quotation or a stray double quotation mark; apostrophes do not count."""
    return "_" in text or any(c in text for c in "\"“”„«»")


def lead_clause(masked: str, last_outlet: str | None) -> tuple[Speaker, int] | None:
    """"SPEAKER [aux] VERB [object] [that|:] CLAUSE" or "According to X, CLAUSE": the speaker and CLAUSE's start."""
    if according := _LEAD_ACCORDING.match(masked):
        found = _according(according.group(1), last_outlet)
        return (found, according.end()) if found else None
    if (quoted := _QUOTED_AS_SAYING.match(masked[:LEAD_WINDOW])) and (
            outlet := outlet_name(quoted.group(1), last_outlet)) and (
            speaker := speaker_of(quoted.group(2), last_outlet)):
        return speaker.with_via(outlet), quoted.end()
    window = masked[:LEAD_WINDOW]
    tokens = list(_TOKEN.finditer(window))[:40]
    tried = 0
    for index, token in enumerate(tokens):
        reportedly = tokens[index - 1].group().casefold() == "reportedly" and index + 1 < len(tokens) and \
            tokens[index + 1].group() == "that"  # "The president reportedly believes that …"
        if index == 0 or not (is_reporting_verb(token.group()) or reportedly):
            continue
        tried += 1
        if tried > 2:
            return None
        first = index
        while first > 0 and is_between_word(tokens[first - 1].group()):
            first -= 1
        zone = window[:tokens[first].start()]
        if is_quoted(zone):
            return None
        speaker = speaker_of(zone, last_outlet)
        if speaker is None:
            continue
        position = token.end()
        if token.group().casefold().strip(",:") in _TOLD and not token.group().endswith((",", ":")):
            obj, position = _object(masked, position)
            if outlet := outlet_name(obj, last_outlet):
                speaker = speaker.with_via(outlet)
        after = _AFTER_VERB.match(masked, position)
        clause_start = after.end() if after else position
        rest = _TOKEN.match(masked, clause_start)
        if rest and rest.group().casefold().strip(",") in _ADVERBIAL_STARTS:
            marker = _THAT_OR_COLON.search(masked[clause_start:clause_start + 100])
            if marker is None or "_" in masked[clause_start:clause_start + marker.start()]:
                return None
            adverbial = masked[clause_start:clause_start + marker.start()]
            if (interview := _TRAILER_INTERVIEW.search(adverbial)) and (
                    outlet := outlet_name(interview.group(1), last_outlet)):
                speaker = speaker.with_via(outlet)
            clause_start += marker.end()
        if len(masked[clause_start:].split()) < 2 and not masked[clause_start:].strip().startswith(
                tuple(QUOTE_CHARS)):
            return None
        return speaker, clause_start + (len(masked[clause_start:]) - len(masked[clause_start:].lstrip()))
    return None


def _object(masked: str, position: int) -> tuple[str, int]:
    """The object of "told": "reporters", "the Financial Times", "TASS", "the rally"; and where it ends."""
    tokens = list(_TOKEN.finditer(masked, position, min(len(masked), position + 120)))[:7]
    if not tokens:
        return "", position
    taken = []
    for number, token in enumerate(tokens):
        word = token.group()
        bare = word.rstrip(",.:;")
        if bare.casefold() == "that" or "_" in word or any(c in word for c in QUOTE_CHARS):
            break
        if number == 0 or bare[:1].isupper() or (number == 1 and tokens[0].group().casefold() in ("the", "a", "an")):
            taken.append(token)
            if bare != word:
                break
            if number == 0 and bare.casefold() in _OBJECT_WORDS:
                break
            continue
        break
    if not taken:
        return "", position
    return masked[taken[0].start():taken[-1].end()].rstrip(",.:;"), taken[-1].end()


def _according(text: str, last_outlet: str | None) -> Speaker | None:
    """The X of "according to X": an outlet (a chain link) or a speaker."""
    if outlet := outlet_name(text, last_outlet):
        return Speaker(None, via=(outlet,))
    return speaker_of(text, last_outlet)


def tail_clause(masked: str, last_outlet: str | None) -> tuple[Speaker, int] | None:
    """"CONTENT, SPEAKER said [trailer]." (or ", said SPEAKER", ", according to X"): the speaker and where CONTENT
    ends. Candidate cuts are tried from the right; the leftmost one of the run that still reads as an attribution
    wins, so "the army's spokesman, Colonel Amir Tal, said" keeps the role."""
    text = masked.rstrip().rstrip(".!?").rstrip()
    low = max(0, len(text) - TAIL_WINDOW)
    cuts = [i for i in range(len(text) - 1, low - 1, -1)
            if text[i] == "," or (text[i] in QUOTE_CHARS and i + 1 < len(text) and text[i + 1].isspace()
                                  and i > 0 and text[i - 1] == "_")][:6]
    best: tuple[Speaker, int] | None = None
    for cut in cuts:
        found = attribution_of(text[cut + 1:], last_outlet)
        if found is not None:
            best = (found, cut if text[cut] == "," else cut + 1)
        elif best is not None:
            break
    return best


def attribution_of(rest: str, last_outlet: str | None) -> Speaker | None:
    """Reads an attribution with nothing else in it: "Lavrov said last week", "said a senior official", "a senior
    officer told the Kyiv Independent, as reported by Reuters", "according to UN envoy Rashid Omar"."""
    rest = rest.strip()
    if not rest or len(rest) > TAIL_WINDOW or is_quoted(rest) or "\n" in rest:
        return None
    if according := _TAIL_ACCORDING.match(rest):
        target, _, trailer = according.group(1).partition(",")
        found = _according(target, last_outlet)
        return _with_trailer(found, trailer, last_outlet) if found else None
    if reported := _AS_REPORTED.match(rest):
        outlet = outlet_name(reported.group(1), last_outlet)
        return Speaker(None, via=(outlet,)) if outlet else None
    tokens = list(_TOKEN.finditer(rest))[:30]
    verb = next((i for i, t in enumerate(tokens[:16]) if is_reporting_verb(t.group())), None)
    if verb is None:
        return None
    if verb == 0:
        return speaker_of(rest[tokens[0].end():], last_outlet)
    first = verb
    while first > 0 and is_between_word(tokens[first - 1].group()):
        first -= 1
    found = speaker_of(rest[:tokens[first].start()], last_outlet)
    if found is None:
        return None
    position = tokens[verb].end()
    if tokens[verb].group().casefold().strip(",") in _TOLD and not tokens[verb].group().endswith(","):
        obj, position = _object(rest, position)
        if outlet := outlet_name(obj, last_outlet):
            found = found.with_via(outlet)
    trailer = rest[position:]
    opening = trailer.split(None, 1)[0].casefold() if trailer.strip() else ""
    participle = tokens[verb].group().endswith(",")  # "the official said, declining to be named"
    if re.search(r"\bthat\b", trailer) or len(trailer.split()) > 14 or not (
            not opening or participle or opening.startswith(",") or opening.strip(",") in _TRAILER_STARTS):
        return None  # "…, and an EU official said the rules would not change" is a clause of its own
    return _with_trailer(found, trailer, last_outlet)


def _with_trailer(found: Speaker, trailer: str, last_outlet: str | None) -> Speaker:
    """Adds what follows an attribution: "in an interview with CNN", "citing sources", ", RIA Novosti reported"."""
    if (interview := _TRAILER_INTERVIEW.search(trailer)) and (
            outlet := outlet_name(interview.group(1), last_outlet)):
        found = found.with_via(outlet)
    if citing := _TRAILER_CITING.search(trailer):
        cited_text = citing.group(1).partition(",")[0]
        if outlet := outlet_name(cited_text, last_outlet):
            found = Speaker(found.name, found.role, found.anonymous, (outlet, *found.via), found.pronoun)
        elif found.name is None and not found.pronoun and (cited := speaker_of(cited_text, last_outlet)):
            found = cited.with_via(*found.via)
    if (which := _TRAILER_WHICH.search(trailer)) and (outlet := outlet_name(which.group(1), last_outlet)):
        found = Speaker(found.name, found.role, found.anonymous, (outlet, *found.via), found.pronoun)
    if (reported := _TRAILER_REPORTED.search(trailer)) and (outlet := outlet_name(reported.group(1), last_outlet)):
        found = found.with_via(outlet)
    if (retold := _AS_REPORTED.search(trailer)) and (outlet := outlet_name(retold.group(1), last_outlet)):
        found = found.with_via(outlet)
    if (according := re.search(r"according to ([^,]{1,100})", trailer)) and (
            outlet := outlet_name(according.group(1), last_outlet)):
        found = found.with_via(outlet)
    return found


def head_attribution(head: str, last_outlet: str | None) -> Speaker | None:
    """The words before a quotation: 'Petrova said, "…"', 'The coach, Dieter Hahn, was blunt: "…"'."""
    text = head.strip()
    if not text.endswith((",", ":")):
        return None
    text = text.rstrip(",:").strip()
    if found := attribution_of(text, last_outlet):
        return found
    if not head.strip().endswith(":"):
        return None
    tokens = list(_TOKEN.finditer(text))[:20]
    verb = next((t for t in tokens[1:] if t.group().casefold() in ("was", "were", "is", "are")), None)
    return speaker_of(text[:verb.start()], last_outlet) if verb else None
