"""The detection chain: evidence in an article's own text of who originally produced it.

Three places are searched (shared/notes/syndication-patterns.md): trailing *footer* paragraphs (credit
lines, which are then kept out of the indexed body), the *head* of the body (wire datelines such as
``WASHINGTON (Reuters) -``) and the *tail* (copyright lines, scraper artefacts). Every rule yields a
``Claim``: the outlet it names, the rule and the matched text as ``Evidence``, and a strength. Parsers
add claims from metadata (canonical link, JSON-LD, feed, URL), and ``decide`` picks the strongest.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ingest.domains import host_of
from ingest.identity import merge_identity, same_outlet
from ingest.types import Evidence, OutletRef

_URL = r"https?://[^\s,;)\]]+"
_DOMAIN = r"[A-Za-z0-9][A-Za-z0-9-]*(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
_DASH = r"(?:--|[-–—])"
_PLACE = r"[A-Z][A-Za-z.'’ -]{1,40}?(?:,\s*[A-Z][a-z]{1,4}\.?)?(?:,\s*[A-Z][a-z]{2,8}\.?\s+\d{1,2}\.?)?"
HEAD_CHARS = 300
TAIL_CHARS = 1000
#: A longer paragraph is article text, never a footer (credit lines are a sentence or two). The bound also
#: keeps the footer rules' work per paragraph constant on hostile paragraphs of hundreds of KB (#10).
FOOTER_MAX_CHARS = 2000

#: Strength of each kind of evidence, strongest (lowest) first; the order of the notes' evidence ranking,
#: then what page metadata and addresses say.
STRENGTH = {
    "footer": 1, "dateline": 2, "byline": 2, "copyright": 3, "artefact": 4, "canonical": 5, "jsonld": 6,
    "near-duplicate": 7, "declared": 8, "url": 9,
}


@dataclass(frozen=True, slots=True)
class Claim:
    """Evidence that ``outlet`` is the article's original producer (or, with ``role="publisher"``, its host)."""

    evidence: Evidence
    outlet: OutletRef
    strength: int
    role: str = "original"


def ref_from_domain(text: str) -> OutletRef | None:
    """A site named by a URL or host. The full host is kept (``economictimes.indiatimes.com``): the registry
    resolves it through its parent domains, and shared domains must not merge unrelated sites."""
    try:
        host = host_of(text)
    except ValueError:  # urllib refuses some hostile addresses ("http://[x" is an invalid IPv6 URL)
        return None
    return OutletRef(name=host, domain=host) if host else None


def ref_from_name(text: str) -> OutletRef:
    name = text.strip().strip("\"'“”[]").rstrip(".").strip()
    if re.fullmatch(_DOMAIN, name) or name.startswith("http"):
        return ref_from_domain(name) or OutletRef(name=name)
    return OutletRef(name=name)


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    kind: str  # a key of STRENGTH
    pattern: re.Pattern[str]
    outlet: Callable[[re.Match[str]], OutletRef | None]


def _fixed(name: str, domain: str) -> Callable[[re.Match[str]], OutletRef]:
    return lambda _match: OutletRef(name=name, domain=domain)


def _group(index: int) -> Callable[[re.Match[str]], OutletRef | None]:
    return lambda match: ref_from_name(match.group(index)) if match.group(index) else None


FOOTER_RULES = (
    # Specific credits first: a footer gets the first rule that matches, and generic lines come last.
    Rule("courtesy-copyright-footer", "footer",
         re.compile(r"courtesy of,? and owned and copyrighted by,?\s+(" + _URL + ")", re.I),
         lambda m: ref_from_domain(m.group(1))),
    Rule("the-conversation", "footer",
         re.compile(r"republished from The Conversation under a Creative Commons", re.I),
         _fixed("The Conversation", "theconversation.com")),
    Rule("canadian-press-credit", "footer",
         re.compile(r"This report by The Canadian Press was first published|© Provided by The Canadian Press"),
         _fixed("The Canadian Press", "thecanadianpress.com")),
    Rule("global-research-licence", "footer",
         re.compile(r"Feel free to repost and share widely Global Research"),
         _fixed("Global Research", "globalresearch.ca")),
    Rule("kff-republish", "footer", re.compile(r"KFF Health News' free Morning Briefing|Republish This Story"),
         _fixed("KFF Health News", "kffhealthnews.org")),
    Rule("ap-copyright", "copyright",
         re.compile(r"Copyright(?: \(c\)| ©)? \d{4} The Associated Press\. All [Rr]ights [Rr]eserved"),
         _fixed("Associated Press", "apnews.com")),
    Rule("bloomberg-copyright", "copyright", re.compile(r"©\s?\d{4} Bloomberg L\.P\."),
         _fixed("Bloomberg", "bloomberg.com")),
    Rule("tribune-content-agency", "copyright",
         re.compile(r"©\s?\d{4},? ([^,©]{2,60}?),?\s+Distributed by (?:Tribune Content Agency|McClatchy-Tribune)"),
         _group(1)),
    Rule("appeared-first-on", "footer",
         # The title is bounded ({1,300}): unbounded, every "The post " in a long paragraph scanned to its end
         # (quadratic: 43 s on 153 KB of "The post The post ..."; #10).
         re.compile(r"(?:The|This) post (?:.{1,300}? )?(?:first )?appeared first on \"?(.+?)\"?\s*\.?\s*(?:\[|$)",
                    re.I | re.M),
         _group(1)),
    Rule("republished-from", "footer",
         re.compile(r"republished (?:here )?(?:with (?:the author's )?permission )?from \[?([^\]\n.(]+)", re.I),
         _group(1)),
    # The name is bounded ({1,200}) for the same reason: each start would otherwise scan to the next full stop.
    Rule("originally-published", "footer",
         re.compile(r"(?:(?:This|The) (?:article|story|post|report|piece|interview) (?:was |has been )?|^)"
                    r"(?:originally|first) (?:published|appeared) (?:by|on|in|at) \[?(" + _URL + r"|[^\].\n(]{1,200}?)"
                    r"\]?(?:\.\s|\.$|$|,| and | on )", re.I | re.M), _group(1)),
)

HEAD_RULES = (
    Rule("reuters-dateline", "dateline", re.compile(r"^\s*" + _PLACE + r"\s*\(Reuters\)\s*" + _DASH),
         _fixed("Reuters", "reuters.com")),
    Rule("ap-dateline", "dateline", re.compile(r"^\s*" + _PLACE + r"\s*\(AP\)\s*" + _DASH),
         _fixed("Associated Press", "apnews.com")),
    # AFP needs an upper-case place or a place and date before it, so that "Acute Flaccid Paralysis (AFP) -"
    # does not match (see the notes); "New Delhi (AFP) -" is missed, a price paid for no false positives.
    Rule("afp-dateline", "dateline",
         re.compile(r"^\s*(?:[A-Z][A-Z .'-]{1,30}|[A-Z][A-Za-z .'-]{1,30}, [A-Z][a-z]{2,4}\.? \d{1,2}) \(AFP\)\s*"
                    + _DASH),
         _fixed("AFP", "afp.com")),
    Rule("xinhua-dateline", "dateline", re.compile(r"^\s*[A-Z][A-Za-z .'-]+, [^()]{3,15} \(Xinhua\)\s*" + _DASH),
         _fixed("Xinhua", "xinhuanet.com")),
    Rule("tass-dateline", "dateline", re.compile(r"^\s*[A-Z ,.'-]+, [A-Z][a-z]+ \d{1,2}\. /TASS/\."),
         _fixed("TASS", "tass.com")),
    Rule("sputnik-dateline", "dateline", re.compile(r"^\s*[A-Z][A-Za-z ,.'-]*\((?:[^()]*/ )?Sputnik(?: - [^)]*)?\)"),
         _fixed("Sputnik", "sputnikglobe.com")),
    Rule("bloomberg-dateline", "dateline", re.compile(r"^\s*(?:[A-Z][a-z]{2,4}\.\s+\d{1,2} )?\(Bloomberg\) --"),
         _fixed("Bloomberg", "bloomberg.com")),
    Rule("agency-dateline", "dateline",
         re.compile(r"^\s*[A-Z][A-Za-z ,.'-]{0,40}\((IANS|ANI|UPI|PTI|dpa|EFE|ANSA|Kyodo|Yonhap)\)\s*" + _DASH + "?"),
         lambda m: OutletRef(name=m.group(1))),
)

TAIL_RULES = (
    *[rule for rule in FOOTER_RULES if rule.kind == "copyright"],
    Rule("rt-artefact", "artefact", re.compile(r"Follow RT on|Also on rt\.com"), _fixed("RT", "rt.com")),
    Rule("bloomberg-artefact", "artefact", re.compile(r"Most Read from Bloomberg"),
         _fixed("Bloomberg", "bloomberg.com")),
)

_CONTACT = re.compile(r"please contact\s+(" + _DOMAIN + r")\b", re.I)


def _normalise(text: str) -> str:
    return re.sub(r"[ \u00a0]{2,}", " ", text.replace("\u00a0", " "))


def _claims(rules: Iterable[Rule], text: str, *, first_only: bool = False) -> list[Claim]:
    found = []
    for rule in rules:
        if (match := rule.pattern.search(text)) and (outlet := rule.outlet(match)):
            found.append(Claim(Evidence(rule.name, match.group(0).strip()), outlet, STRENGTH[rule.kind]))
            if first_only:
                break
    return found


def footer_claims(paragraph: str) -> list[Claim]:
    """Claims of a paragraph that is a syndication footer; empty when it is ordinary text."""
    if len(paragraph) > FOOTER_MAX_CHARS:
        return []
    text = _normalise(paragraph)
    claims = _claims(FOOTER_RULES, text, first_only=True) or _credit_claims(text)
    if not claims or (len(text) > 600 and all(c.evidence.rule == "originally-published" for c in claims)):
        return []  # a long paragraph that merely mentions an earlier publication is article text
    if contact := _CONTACT.search(text):
        host = ref_from_domain(contact.group(1))
        if host:
            named = OutletRef(contact.group(1), host.domain)
            claims.append(Claim(Evidence("footer-contact", contact.group(0)), named, STRENGTH["footer"], "publisher"))
    return claims


def split_footer(paragraphs: list[str]) -> tuple[list[str], list[Claim], list[str]]:
    """Separate trailing footer paragraphs from the body: (body paragraphs, their claims, footer paragraphs)."""
    body = list(paragraphs)
    claims: list[Claim] = []
    footer: list[str] = []
    while body and (found := footer_claims(body[-1])):
        claims = found + claims
        footer.insert(0, body.pop())
    return body, claims, footer


def body_claims(body: str) -> list[Claim]:
    """Claims from the head (datelines, bylines) and the tail (copyright lines, artefacts) of the body text."""
    from ingest.credits import head_claims  # ingest.credits builds on this module's rules

    head = _normalise(body[:HEAD_CHARS])
    found = _claims(HEAD_RULES, head)
    found += [claim for claim in head_claims(head) if all(claim.outlet != f.outlet for f in found)]
    return found + _claims(TAIL_RULES, _normalise(body[-TAIL_CHARS:]))


def _credit_claims(text: str) -> list[Claim]:
    from ingest.credits import credit_claims  # ingest.credits builds on this module's rules

    return credit_claims(text)


def decide(claims: Iterable[Claim]) -> tuple[OutletRef | None, OutletRef | None, tuple[Evidence, ...]]:
    """(publisher, original, evidence with the deciding claim first, then strongest first).

    The publisher is one identity: the claims about the hosting site are merged (its best name with its
    domain). The original is the publisher unless the strongest claim for the original names a *different*
    outlet; a claim that names the site itself ("Originally published on Live Science" on livescience.com)
    only confirms it, so a site is never shown as its own republisher (#11). Without any claim both stay unknown.
    """
    ranked = sorted(claims, key=lambda c: c.strength)
    publisher = merge_identity(c.outlet for c in ranked if c.role == "publisher")
    winner = next((c for c in ranked if c.role == "original"), None)
    if winner is None:
        original = publisher
    elif publisher is not None and same_outlet(winner.outlet, publisher):
        publisher = original = merge_identity([publisher, winner.outlet])
    else:
        original = winner.outlet
    evidence: list[Evidence] = [winner.evidence] if winner else []
    for claim in ranked:
        if claim.evidence not in evidence:
            evidence.append(claim.evidence)
    return publisher, original, tuple(evidence)


def publisher_from_url(url: str | None) -> OutletRef | None:
    """The site an article was taken from, by the host of its URL."""
    return ref_from_domain(url) if url else None
