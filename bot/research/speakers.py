"""Who a reporting clause names: a person with a role, an unnamed source, a pronoun, or an outlet.

Pure, rule-based and bounded: every function here reads a short stretch of text (a clause of at most a few
dozen words, cut by the caller) with plain token tests and regexes that have no nested repetition, so hostile
input costs time linear in what it is given. ``bot.research.attribution`` finds the clauses; this module reads
them. The word lists are news usage, written for this module (English only).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Verbs that report speech or writing. A clause "X said …" or "…, X said" is speech only with one of these.
REPORTING_VERBS = frozenset(
    "said says say told tells tell claimed claims claim warned warns warn argued argues insisted insists added adds "
    "noted notes stressed stresses stated states explained explains declared declares announced announces "
    "acknowledged acknowledges admitted admits asserted asserts suggested suggests wrote writes recalled conceded "
    "confirmed confirms denied denies alleged alleges complained complains replied replies responded remarked "
    "emphasized emphasised emphasizes emphasises maintained maintains predicted predicts promised vowed urged "
    "contended observed countered reported reports disclosed revealed cautioned reiterated testified tweeted "
    "posted concluded estimated assured boasted asked asks".split()
)
#: Words that may stand between a speaker and the verb ("Ortiz reportedly told", "has also said").
_BETWEEN = frozenset("has have had also reportedly later earlier previously privately publicly repeatedly recently "
                     "again then once would will allegedly separately further has't".split())
#: Nouns naming a person only by job or relation, without a name: unnamed sourcing.
_ANONYMOUS = re.compile(
    r"(?i)^(?:(?:a|an|one|two|three|four|five|several|some|many|other|both|the|more|senior|of)\s+){0,4}"
    r"(?:[\w.'’-]+\s+){0,3}?"
    r"(?:officials?|sources?|diplomats?|aides?|person|people|advis[eo]rs?|insiders?|officers?|employees?|"
    r"staffers?|negotiators?|spokes(?:person|man|woman)|representatives?)\b"
)
#: Titles before a name that are neither part of the name nor a role worth reporting.
_HONORIFICS = frozenset("Dr Dr. Mr Mr. Mrs Mrs. Ms Ms. Mx Mx. Prof Prof. Sir Dame".split())
#: Words of a role ("Russian Foreign Minister", "police spokeswoman"): never part of a personal name.
ROLE_WORDS = frozenset(w.casefold() for w in (
    "President Vice Prime Minister Deputy Foreign Secretary Chancellor Senator Sen. Rep. Representative Governor "
    "Gov. Mayor Councillor Councilor Judge Justice Chief Executive Commissioner General Gen. Colonel Col. Major "
    "Maj. Captain Capt. Lieutenant Lt. Sergeant Sgt. Admiral Adm. Commander Director Chairman Chairwoman Chair "
    "Spokesman Spokeswoman Spokesperson Ambassador Envoy Coach Astronaut Professor Health Defence Defense Interior "
    "Finance Economy Commerce Environment Energy Agriculture Transport Education Trade Home Police Fire Union "
    "Opposition Hospital Kremlin White House Pentagon UN U.N. US U.S. EU UK NATO King Queen Pope Prince Premier "
    "Speaker Attorney Pastor Rev. Bishop Leader Head Founder Officer Deputy Acting Former Labor Labour "
    "Russian Ukrainian German French American British Chinese Israeli Iranian Polish Italian Spanish Turkish "
    "Indian Japanese Canadian Australian Dutch Swedish Norwegian Danish Finnish Belgian Austrian Swiss Greek "
    "Hungarian Czech Romanian Egyptian Saudi Qatari Syrian Iraqi Lebanese Palestinian Georgian Belarusian "
    "minister president secretary spokesman spokeswoman spokesperson chief director governor leader engineer "
    "envoy coach judge mayor senator chancellor commissioner colonel general chair chairman chairwoman executive "
    "officer head founder owner analyst economist manager editor adviser advisor ambassador captain commander "
    "councillor councilor lawyer attorney prosecutor negotiator researcher scientist professor teacher nurse "
    "doctor chairperson superintendent administrator strategist press bank central police fire port union "
    "transport commodities deputy state foreign interior defence defense health finance trade energy"
).split())
#: Nouns that name a person by office ("the mayor said").
_ROLE_HEADS = frozenset("president minister secretary spokesman spokeswoman spokesperson chief director governor "
                        "leader coach judge mayor senator chancellor commissioner ambassador envoy commander "
                        "general premier king queen pope prosecutor founder owner chairman chairwoman".split())
#: Words that end the name of an organisation, not of a person ("Northbridge Bank", "Statistics Office").
_ORGANISATION_WORDS = frozenset(
    "Office Bank University Ministry House Council Party Company Department Agency Commission Committee Court "
    "Union Association Institute Centre Center Group Fund Service Board Authority Bureau Federation Foundation "
    "Corporation Inc. Ltd Hospital School Club Team Assembly Parliament Congress Senate Government Network".split()
)
#: Capitalised words that start sentences but never names ("That said, …", "When Poyer said …", "I said").
_NOT_NAMES = frozenset(
    "i i’d i'd i’m i'm i’ve i've you you’ve you've we we’ve we've let’s let's it it’s it's that this these those "
    "there here what when while if as but and the to with certainly also then so now yes no another all both each "
    "every everyone everybody nobody someone somebody many some most few several others one such after before "
    "because although though once since until unless where why how who whom whose which however meanwhile still "
    "yet even only just perhaps maybe indeed instead otherwise overall thus hence experts study".split()
)
_PARTICLES = frozenset("de van von der den al bin ben da di du le la del dos das ter y".split())
#: Nouns of a speaking institution ("the agriculture ministry said").
_INSTITUTIONS = frozenset(
    "ministry department company government police army military agency office council court embassy kremlin "
    "spokesperson firm bank board commission committee party campaign administration authorities authority "
    "regulator prosecutors prosecutor union club foundation group service institute university hospital".split()
)
#: Words that make a comma part a clause of its own rather than a description of a person.
_NOT_IN_ROLES = frozenset("is are was were has have had will would be been said says rose fell".split())
#: Capitalised words that are dates, not names ("said Tuesday").
_CALENDAR = frozenset(
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July August "
    "September October November December".split()
)
_PRONOUNS = frozenset(("he", "she", "they"))
#: Starts of a comma part that introduces the sentence or modifies the speaker, rather than naming them.
_INTRO_STARTS = frozenset(
    "in on at after asked speaking during since following before when while addressing writing responding "
    "earlier later yesterday today last this separately meanwhile however still also".split()
)
_MODIFIER_STARTS = frozenset("who which whose asked speaking citing quoted cited according".split())
_MANNER = re.compile(r"\s+(?:speaking|who (?:asked|spoke|declined|requested)|declining)\b.*$", re.IGNORECASE)
_CONJUNCTIONS = re.compile(r"^(?:(?:but|and|however|meanwhile|still|yet|so)\b,?\s+)+", re.IGNORECASE)

#: Outlets by name, casefolded and without a leading "the"; any capitalised name ending in a media word counts too.
KNOWN_OUTLETS = frozenset(
    "reuters|bloomberg|afp|ap|associated press|agence france-presse|cnn|bbc|nbc|cbs|abc|fox news|msnbc|npr|axios|"
    "politico|atlantic|new york times|washington post|wall street journal|financial times|guardian|times|telegraph|"
    "economist|der spiegel|spiegel|le monde|le figaro|el país|el pais|bild|die zeit|tass|ria novosti|interfax|"
    "izvestia|kommersant|rt|sputnik|xinhua|al jazeera|haaretz|kyiv independent|ukrainska pravda|newsweek|time|"
    "vox|semafor|hill|punchbowl news|cnbc|sky news|lusa|ansa|efe|dpa|kyodo|yonhap|nhk|nikkei|meduza|"
    "novaya gazeta|vedomosti|new yorker|propublica|vanity fair|daily mail|sun|mirror|independent|observer|"
    "der standard|la repubblica|corriere della sera|asahi|globe and mail|ynet|times of israel|kyiv post|"
    "euronews|france 24|deutsche welle|dw|voice of america|radio free europe|rfe/rl|ria|rbc|anadolu|techcrunch|"
    "verge|wired|engadget|espn|variety|billboard|mbw|music business worldwide|deadline|hollywood reporter|fortune|"
    "forbes|business insider|cnet|ars technica|gizmodo|mashable|polygon|ign|athletic|sporting news|yahoo finance|"
    "marketwatch|barron's|information|9to5mac|macrumors|the information|semafor|puck|the block|coindesk".split("|")
)
_MEDIA_WORDS = frozenset(
    "Times Post News Journal Herald Gazette Tribune Telegraph Guardian Independent Observer Chronicle Express Mail "
    "Magazine Monitor Review Radio TV Television Broadcasting Agency Press Daily Standard Mirror Pravda Wire "
    "Weekly Insider Today Courier Inquirer Sentinel Examiner Bulletin Dispatch Record Register".split()
)
#: A noun that refers back to the last outlet named ("told the magazine").
_OUTLET_ANAPHORA = frozenset((
    "magazine", "newspaper", "paper", "agency", "news agency", "broadcaster", "outlet", "network", "channel",
    "daily", "publication", "website", "site", "tabloid", "weekly",
))
_OUTLET_DESCRIPTOR = re.compile(
    r"^(?:the\s+)?(?:[\w-]+\s+){0,2}?(?:news agency|newspaper|broadcaster|magazine|daily|outlet|website|channel|"
    r"agency|paper|network|tabloid|weekly|TV)\s+(?P<name>[A-Z].*)$"
)
_REPORT_IN = re.compile(
    r"^(?:an?\s+|the\s+)?(?:\w+\s+)?(?:report|reports|article|story|interview|investigation|piece|broadcast)s?"
    r"\s+(?:in|by|from|with|on|published by|aired by)\s+(?P<name>.+)$", re.IGNORECASE)
_A_NAMED_REPORT = re.compile(r"^an?\s+(?P<name>[A-Z][\w.&'’ -]*?)\s+(?:report|article|story|interview)$")
_CAPITALISED = re.compile(r"[A-Z0-9][\w.&'’/-]*")
_NAME_TOKEN = re.compile(r"[A-Z][\w'’.-]*")
_INITIAL = re.compile(r"[A-Z]\.")
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Speaker:
    """What a reporting clause says about its source.

    ``name`` is None for a pronoun (``pronoun`` says which) and for an outlet's own report (then ``via`` names the
    outlet). ``via`` lists outlets nearest the speaker first ("told Izvestia, RIA Novosti reported").
    """

    name: str | None
    role: str | None = None
    anonymous: bool = False
    via: tuple[str, ...] = ()
    pronoun: str | None = None

    def with_via(self, *outlets: str) -> Speaker:
        return Speaker(self.name, self.role, self.anonymous, self.via + tuple(o for o in outlets if o), self.pronoun)


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def outlet_name(text: str, last_outlet: str | None = None) -> str | None:
    """The outlet ``text`` names ("the Financial Times", "a report in Politico", "the magazine"), or None."""
    name = text.strip(" \t\n,.;:")
    if not name or len(name) > 80:
        return None
    if (report := _REPORT_IN.match(name)) or (report := _A_NAMED_REPORT.match(name)):
        name = report.group("name").strip(" ,.")
    if (described := _OUTLET_DESCRIPTOR.match(name)) and _all_capitalised(described.group("name")):
        name = described.group("name")
    bare = re.sub(r"^the\s+", "", name, flags=re.IGNORECASE)
    if bare.casefold() in _OUTLET_ANAPHORA:
        return last_outlet
    if not _all_capitalised(bare):
        return None
    if bare.casefold() in KNOWN_OUTLETS and not (bare.casefold() in ("times", "post", "journal") and last_outlet):
        return name
    last = bare.split()[-1]
    if last_outlet and len(bare.split()) == 1 and last_outlet.split()[-1].casefold() == last.casefold():
        return last_outlet  # "the Post" after "The Washington Post"
    return name if last in _MEDIA_WORDS else None


def _all_capitalised(text: str) -> bool:
    tokens = text.split()
    return bool(tokens) and len(tokens) <= 7 and all(
        _CAPITALISED.fullmatch(t) or t.casefold() in ("of", "and", "de", "la", "le", "el", "der", "die", "&")
        for t in tokens)


def speaker_of(zone: str, last_outlet: str | None = None) -> Speaker | None:
    """Who the noun phrase before or after a reporting verb names, or None when it names nobody.

    ``zone`` is the phrase with its appositives ("Sergey Lavrov, Russia's foreign minister", "the mayor, Julia
    Brandt", "a senior aide who attended the meeting"), possibly after an introduction ("In a statement,").
    """
    zone = _CONJUNCTIONS.sub("", zone.strip(" \t\n,;:"))
    if not zone or len(zone) > 200 or any(c in zone for c in "\"“”«»_()[]"):
        return None
    # "Anders Holm, 54," gives an age; "officials speaking on condition of anonymity" says how, not who.
    parts = [_MANNER.sub("", p).strip() for p in zone.split(",") if p.strip() and not p.strip().isdigit()]
    parts = [p for p in parts if p]
    if len(parts) > 5:
        return None
    via: list[str] = []
    cited: Speaker | None = None
    kept: list[str] = []
    for index, part in enumerate(parts):
        first = part.split()[0].casefold()
        if first in _MODIFIER_STARTS or (index < len(parts) - 1 and not kept and first in _INTRO_STARTS):
            via.extend(_interview_outlets(part, last_outlet))
            if first == "citing" and (cited_text := part[len("citing"):].strip()):
                if outlet := outlet_name(cited_text, last_outlet):
                    via.append(outlet)
                else:
                    cited = speaker_of(cited_text, last_outlet)
            continue
        kept.append(part)
    if not kept or len(kept) > 3 or sum(len(p.split()) for p in kept) > 14:
        return None
    if len(kept) == 1 and kept[0].casefold() in _PRONOUNS:
        return Speaker(None, pronoun=kept[0].casefold(), via=tuple(via))
    if len(kept) == 1 and (outlet := outlet_name(kept[0], last_outlet)):
        if cited is not None and cited.name:
            return cited.with_via(*via, outlet)
        return Speaker(None, via=(*via, outlet))
    named = [(i, found) for i, p in enumerate(kept) if (found := _person(p))]
    if named:
        index, (name, prefix) = named[0]
        roles = [p for i, p in enumerate(kept) if i != index and _is_role(p)]
        if len(roles) != len(kept) - 1:
            return None
        before = [r for r in roles if kept.index(r) < index]
        after = [r for r in roles if kept.index(r) > index]
        role = ", ".join([*before, *([prefix] if prefix else []), *after]) or None
        return Speaker(name, role, via=tuple(via))
    if len(kept) == 1 and _ANONYMOUS.match(kept[0]) and not _person(kept[0]):
        return Speaker(kept[0], anonymous=True, via=tuple(via))
    if len(kept) == 1 and (_is_institution(kept[0]) or _is_role_only(kept[0])):
        return Speaker(kept[0], via=tuple(via))
    return None


def _is_role_only(part: str) -> bool:
    """A person named by role alone, identifiable and so not anonymous: "the US president", "the mayor"."""
    tokens = part.split()
    return 2 <= len(tokens) <= 5 and tokens[0].casefold() in ("the", "its", "his", "her", "their") and \
        tokens[-1].casefold() in _ROLE_HEADS


def _interview_outlets(part: str, last_outlet: str | None) -> list[str]:
    """"In an interview with the BBC", "speaking to Reuters": the outlet the words were given to."""
    found = re.search(r"(?:interview with|speaking to|talking to|told|in comments to|remarks to)\s+(.+)$", part,
                      re.IGNORECASE)
    outlet = outlet_name(found.group(1), last_outlet) if found else None
    return [outlet] if outlet else []


def _person(part: str) -> tuple[str, str | None] | None:
    """``(name, role before it)`` when ``part`` ends in a personal name ("Russian Foreign Minister Sergey Lavrov")."""
    tokens = part.split()
    if not tokens or len(tokens) > 10:
        return None
    end = len(tokens)
    while end > 0 and tokens[end - 1].casefold() in ("jr.", "jr", "sr.", "iii"):
        end -= 1
    start, capitals = end, 0
    while start > 0 and capitals < 2:
        token = tokens[start - 1]
        if token.casefold() in _NOT_NAMES:
            return None
        if token in _HONORIFICS or token.casefold() in ROLE_WORDS or not (
                _NAME_TOKEN.fullmatch(token) or (token in _PARTICLES and start < end)):
            break
        if token.rstrip(".") in _ORGANISATION_WORDS or token.endswith(("'s", "’s", "'", "’")):
            return None
        if not _INITIAL.fullmatch(token) and token not in _PARTICLES:
            capitals += 1
        start -= 1
    while start < end and tokens[start] in _PARTICLES:
        start += 1
    if start == end or any(t.strip(".,") in _CALENDAR for t in tokens[start:end]):
        return None
    if tokens[end - 1].rstrip(".") in _ORGANISATION_WORDS:
        return None
    prefix = [t for t in tokens[:start] if t not in _HONORIFICS]
    if prefix and (prefix[-1].casefold() in ("of", "at", "the", "for", "in", "from", "and", "a", "an")
                   or not _is_role_prefix(prefix)):
        return None
    return " ".join(tokens[start:end]), " ".join(prefix) or None


def _is_role_prefix(prefix: list[str]) -> bool:
    if len(prefix) > 6:
        return False
    return prefix[-1].casefold() in ROLE_WORDS or (len(prefix) <= 3 and all(t[:1].isupper() for t in prefix))


def _is_role(part: str) -> bool:
    """An appositive that describes a person: "Russia's foreign minister", "an economist at Northbridge Bank"."""
    tokens = part.split()
    if not tokens or len(tokens) > 8 or any(t.casefold() in _NOT_IN_ROLES or t[:1].isdigit() for t in tokens):
        return False
    first = tokens[0]
    return (first.casefold() in ("a", "an", "the", "head", "chief", "director", "one", "its", "his", "her", "their")
            or first.endswith(("'s", "’s", "s'", "s’")) or first.casefold() in ROLE_WORDS)


def _is_institution(part: str) -> bool:
    tokens = part.split()
    if tokens[0].casefold() == "the" and 2 <= len(tokens) <= 5:
        return tokens[-1].casefold().strip(".") in _INSTITUTIONS or tokens[-1] in ("Kremlin", "Pentagon")
    return len(tokens) == 1 and bool(_NAME_TOKEN.fullmatch(tokens[0])) and tokens[0].casefold() not in ROLE_WORDS \
        and tokens[0].casefold() not in _NOT_NAMES


def is_reporting_verb(token: str) -> bool:
    return token.casefold().strip(",:;.") in REPORTING_VERBS


def is_between_word(token: str) -> bool:
    return token.casefold() in _BETWEEN
