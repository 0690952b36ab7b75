"""Syndication evidence found on real pages beyond the footer and dateline rules of ``ingest.provenance``.

Wire bylines ("By Reuters", "Reuters, Washington", "PTI, Washington", "Tom Krisher, AP Auto Writer"),
credit lines ("This story was produced by … and is republished", "Provided by …", "republished with
permission"), AP and Reuters datelines with a country ("LISBON, Portugal (AP) —"), and aggregator
credits that live in a page's markup (SyndiGate blocks, a headline linked to the source, portal
provider slugs). What is *not* a credit stays out: "AP contributed to this report" is no rule, and
photo captions are never read (#11). Every pattern is bounded: no nested quantifiers, and inputs are
cut to a few hundred characters before they are matched.
"""

from __future__ import annotations

import re

from ingest.identity import host_of
from ingest.provenance import _DASH, STRENGTH, Claim, Rule, ref_from_name
from ingest.types import Evidence, OutletRef

MAX_BYLINE_CHARS = 300
MAX_CREDIT_CHARS = 300

#: Agencies and wires a byline may name, by the key of their name (lower case, letters and digits only).
WIRES = {
    "ap": OutletRef("Associated Press", "apnews.com"),
    "associatedpress": OutletRef("Associated Press", "apnews.com"),
    "reuters": OutletRef("Reuters", "reuters.com"),
    "thomsonreuters": OutletRef("Reuters", "reuters.com"),
    "afp": OutletRef("AFP", "afp.com"),
    "agencefrancepresse": OutletRef("AFP", "afp.com"),
    "pti": OutletRef("Press Trust of India", "ptinews.com"),
    "presstrustofindia": OutletRef("Press Trust of India", "ptinews.com"),
    "ians": OutletRef("IANS", "ianslive.in"),
    "ani": OutletRef("ANI", "aninews.in"),
    "upi": OutletRef("UPI", "upi.com"),
    "xinhua": OutletRef("Xinhua", "xinhuanet.com"),
    "bloomberg": OutletRef("Bloomberg", "bloomberg.com"),
    "bloombergnews": OutletRef("Bloomberg", "bloomberg.com"),
    "cnn": OutletRef("CNN", "cnn.com"),
    "cnnwire": OutletRef("CNN", "cnn.com"),
    "dpa": OutletRef("dpa", "dpa.com"),
}
# "By Reuters", "Reuters Staff", "AP Auto Writer", "The Associated Press": words around an agency name.
_BYLINE_PREFIX = re.compile(r"^(?:by|from|source|the)\s+", re.I)
_BYLINE_SUFFIX = re.compile(r"\s+(?:staff|wire|news service|(?:[a-z]+ ){0,2}writers?|reporters?|correspondents?)$",
                            re.I)
_BYLINE_SPLIT = re.compile(r"\s*(?:[;,|/\n]|\s-\s|\s–\s|\band\b)\s*", re.I)
_KEY = re.compile(r"[a-z0-9]+")


def _key(text: str) -> str:
    return "".join(_KEY.findall(text.casefold()))


def wire_of(part: str) -> OutletRef | None:
    """The wire a byline part names: ``Reuters Staff`` → Reuters, ``Ap Auto Writer`` → AP; None for a person."""
    text = " ".join(part.split())[:80]
    for _ in range(2):
        text = _BYLINE_SUFFIX.sub("", _BYLINE_PREFIX.sub("", text))
    if found := WIRES.get(_key(text)):
        return found
    # "Tom Davies Associated Press": a person's name run together with the agency's full name.
    for full in ("associated press", "reuters", "press trust of india", "agence france-presse"):
        if text.casefold().endswith(" " + full):
            return WIRES[_key(full)]
    return None


def byline_claims(byline: str | None, rule: str) -> list[Claim]:
    """Claims of a byline or author field naming a wire ("JORDAN ROBERTSON; AP", "PTI, Washington")."""
    if not byline:
        return []
    text = byline[:MAX_BYLINE_CHARS]
    found: list[Claim] = []
    for part in _BYLINE_SPLIT.split(text):
        if part and (wire := wire_of(part)) and all(c.outlet != wire for c in found):
            found.append(Claim(Evidence(rule, " ".join(text.split())), wire, STRENGTH["byline"]))
    return found


_NAME = r"([A-Z][^\n.;:()]{1,60}?)"
CREDIT_RULES = (
    Rule("produced-by-republished", "footer",
         re.compile(r"(?:This|The) (?:story|article|piece|report) was (?:produced|written|reported) by (?:the )?"
                    + _NAME + r",? and (?:is |was )?(?:re)?published", re.I), lambda m: ref_from_name(m.group(1))),
    Rule("republished-with-permission", "footer",
         re.compile(r"republished with (?:the )?(?:kind )?permission (?:of|from) (?:the )?" + _NAME + r"\.?\s*$",
                    re.I), lambda m: ref_from_name(m.group(1))),
    Rule("provided-by", "footer", re.compile(r"^\s*(?:©\s*)?Provided by\s+" + _NAME + r"\.?\s*$", re.I),
         lambda m: ref_from_name(m.group(1))),
    Rule("originally-appeared", "footer",
         re.compile(r"(?:^|\.\s)(?:This|The) (?:article|story|post|report|piece|interview|column) (?:was |has been )?"
                    r"(?:originally|first) (?:appeared|published|ran) (?:on|in|at|by) (?:the website of )?"
                    + _NAME + r"(?:\.|,|$)", re.I | re.M), lambda m: ref_from_name(m.group(1))),
)
_COUNTRY_PLACE = r"[A-Z][A-Z.'’ -]{1,30},\s?[A-Z][A-Za-z.'’ -]{1,30}?"
HEAD_RULES = (
    Rule("ap-dateline-country", "dateline", re.compile(r"^\s*" + _COUNTRY_PLACE + r"\s?\(AP\)\s?" + _DASH),
         lambda _m: OutletRef("Associated Press", "apnews.com")),
    Rule("reuters-dateline-country", "dateline",
         re.compile(r"^\s*" + _COUNTRY_PLACE + r"(?:/[A-Z][A-Z ]{1,30})?\s?\(Reuters\)\s?" + _DASH),
         lambda _m: OutletRef("Reuters", "reuters.com")),
)
#: A short first paragraph that is only a byline ("By Reuters", "Reuters Staff").
_BYLINE_LINE = re.compile(r"^\s*(?:By\s+)?[A-Z][A-Za-z .,'-]{1,58}$")


def credit_claims(paragraph: str) -> list[Claim]:
    """Claims of one credit line; only short paragraphs are credit lines, long ones are article text."""
    text = " ".join(paragraph.split())
    if len(text) > MAX_CREDIT_CHARS:
        return []
    for rule in CREDIT_RULES:
        if (match := rule.pattern.search(text)) and (outlet := rule.outlet(match)):
            return [Claim(Evidence(rule.name, match.group(0).strip()), outlet, STRENGTH[rule.kind])]
    return []


def head_claims(body: str) -> list[Claim]:
    """Datelines with a country and a byline-only first line at the head of the body."""
    head = body[:MAX_CREDIT_CHARS]
    found = []
    for rule in HEAD_RULES:
        if match := rule.pattern.search(head):
            found.append(Claim(Evidence(rule.name, match.group(0).strip()), rule.outlet(match), STRENGTH["dateline"]))  # type: ignore[arg-type]
    first = head.split("\n", 1)[0]
    if _BYLINE_LINE.match(first):
        found += byline_claims(first, "byline-line")
    return found


_YAHOO_PROVIDER = re.compile(r"--([a-z][a-z0-9-]{1,40}?)(?:-(?:topstories|news|video))?\.html$")
#: Yahoo's article addresses end with the provider's slug ("…-175203890--abc-news-topstories.html").
PORTAL_PROVIDERS = {"abc-news": OutletRef("ABC News", "abcnews.go.com"), "ap": WIRES["ap"],
                    "reuters": WIRES["reuters"], "afp": WIRES["afp"], "cnn": WIRES["cnn"],
                    "nbc-news": OutletRef("NBC News", "nbcnews.com"), "cbs-news": OutletRef("CBS News", "cbsnews.com")}


def portal_claims(url: str | None) -> list[Claim]:
    """A portal (Yahoo) address that names the provider of the story it carries."""
    host = host_of(url) if url else None
    if not url or host is None or not host.endswith("yahoo.com"):
        return []
    match = _YAHOO_PROVIDER.search(url[:500].split("?", 1)[0])
    provider = PORTAL_PROVIDERS.get(match.group(1)) if match else None
    return [Claim(Evidence("portal-provider-slug", url), provider, STRENGTH["canonical"])] if provider else []
