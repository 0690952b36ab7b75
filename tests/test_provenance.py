"""The detection chain: one case per rule, with text written for the project (after the shapes in
shared/notes/syndication-patterns.md), plus the decision between competing claims."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.articles import build_article, read_article_file
from ingest.provenance import FOOTER_RULES, HEAD_RULES, TAIL_RULES, body_claims, footer_claims
from ingest.types import OutletRef

FOOTERS = [
    pytest.param("courtesy-copyright-footer",
                 "This content is courtesy of, and owned and copyrighted by, https://www.rt.com and its author. "
                 "please contact USSANews.com using the email address in the Contact page.", "rt.com", id="courtesy"),
    pytest.param("appeared-first-on", "The post Harbour reopens after storm appeared first on Harbour Gazette.",
                 "Harbour Gazette", id="wordpress"),
    pytest.param("republished-from", "Republished with permission from Tideline Weekly.", "Tideline Weekly",
                 id="republished"),
    pytest.param("originally-published", "This article was originally published by The Quay Review.",
                 "The Quay Review", id="originally"),
    pytest.param("the-conversation",
                 "This article is republished from The Conversation under a Creative Commons license.",
                 "The Conversation", id="conversation"),
    pytest.param("canadian-press-credit", "This report by The Canadian Press was first published Oct. 3, 2026.",
                 "The Canadian Press", id="canadian-press"),
    pytest.param("global-research-licence",
                 "Feel free to repost and share widely Global Research articles.", "Global Research",
                 id="global-research"),
    pytest.param("kff-republish", "Subscribe to KFF Health News' free Morning Briefing.", "KFF Health News",
                 id="kff"),
    pytest.param("ap-copyright",
                 "Copyright 2026 The Associated Press. All rights reserved. This material may not be published.",
                 "Associated Press", id="ap-copyright"),
    pytest.param("bloomberg-copyright", "©2026 Bloomberg L.P. Visit bloomberg.com.", "Bloomberg",
                 id="bloomberg-copyright"),
    pytest.param("tribune-content-agency",
                 "©2026 Los Angeles Times, Distributed by Tribune Content Agency, LLC.", "Los Angeles Times",
                 id="tribune"),
]

DATELINES = [
    pytest.param("reuters-dateline", "HOUSTON, Jan 27 (Reuters) - The port reopened on Monday.", "Reuters",
                 id="reuters"),
    pytest.param("reuters-dateline", "LONDON, Sept 28 (Reuters) – Drivers queued for fuel.", "Reuters",
                 id="reuters-en-dash"),
    pytest.param("ap-dateline", "LANSING, Mich. (AP) — The court ruled on Thursday.", "Associated Press", id="ap"),
    pytest.param("afp-dateline", "PARIS, Jan 1 (AFP) - Ministers met on Friday.", "AFP", id="afp"),
    pytest.param("xinhua-dateline", "HARBIN, Sept. 23 (Xinhua) -- Students returned to school.", "Xinhua",
                 id="xinhua"),
    pytest.param("tass-dateline", "BRUSSELS, June 23. /TASS/. The ministers agreed a package.", "TASS", id="tass"),
    pytest.param("sputnik-dateline", "MOSCOW (UrduPoint News / Sputnik - 25th February, 2026) Talks began.",
                 "Sputnik", id="sputnik-via-third-party"),
    pytest.param("bloomberg-dateline", "(Bloomberg) -- Markets rose in early trading.", "Bloomberg",
                 id="bloomberg"),
    pytest.param("agency-dateline", "NEW DELHI (IANS) - The monsoon arrived early.", "IANS", id="ians"),
]

ARTEFACTS = [
    pytest.param("rt-artefact", "The minister spoke for an hour.\n\nFollow RT on Telegram.", "RT", id="rt"),
    pytest.param("bloomberg-artefact", "Rates held.\n\nMost Read from Bloomberg\n\nMore text.", "Bloomberg",
                 id="bloomberg"),
]


@pytest.mark.parametrize(("rule", "text", "outlet"), FOOTERS)
def test_footer_rule(rule: str, text: str, outlet: str) -> None:
    claims = footer_claims(text)
    originals = [c for c in claims if c.role == "original"]
    assert [c.evidence.rule for c in originals] == [rule], claims
    assert outlet in (originals[0].outlet.name, originals[0].outlet.domain)
    assert originals[0].evidence.text in text


@pytest.mark.parametrize(("rule", "text", "outlet"), DATELINES + ARTEFACTS)
def test_body_rule(rule: str, text: str, outlet: str) -> None:
    claims = body_claims(text)
    assert [c.evidence.rule for c in claims] == [rule], claims
    assert claims[0].outlet.name == outlet


def test_every_rule_has_a_case() -> None:
    covered = {p.values[0] for p in FOOTERS + DATELINES + ARTEFACTS}
    assert {r.name for r in (*FOOTER_RULES, *HEAD_RULES, *TAIL_RULES)} == covered


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Acute Flaccid Paralysis (AFP) - cases rose in the region.", id="afp-medical"),
        pytest.param("The council voted 7-6 to fund the barrier on Tuesday (Reuters reported it too).",
                     id="reuters-mid-sentence"),
        pytest.param("Our reporter first appeared on radio in 1998 and has covered the port since.",
                     id="ordinary-sentence"),
    ],
)
def test_false_positives_are_not_claims(text: str) -> None:
    assert body_claims(text) == [] and footer_claims(text) == []


def test_seed_is_rt_republished_by_ussanews(seed: Path) -> None:
    article = read_article_file(seed)
    assert article.original == OutletRef("rt.com", "rt.com")
    assert article.publisher == OutletRef("USSANews.com", "ussanews.com")
    assert article.evidence[0].rule == "courtesy-copyright-footer"


def test_dateline_beats_declared_source_and_host_stays_publisher() -> None:
    article = build_article(title="Port reopens", paragraphs=["HOUSTON, Jan 27 (Reuters) - The port reopened."],
                            source="x", url="https://news.yahoo.com/port-reopens")
    assert article.original == OutletRef("Reuters", "reuters.com")
    assert article.publisher == OutletRef("news.yahoo.com", "news.yahoo.com")
    assert [e.rule for e in article.evidence] == ["reuters-dateline", "url-host"]


def test_copyright_footer_leaves_the_body() -> None:
    article = build_article(
        title="Teams agree", source="x", url="https://blog.example/teams",
        paragraphs=["MADRID (AP) — Teams agreed on new rules.",
                    "Copyright 2026 The Associated Press. All rights reserved."])
    assert article.body == "MADRID (AP) — Teams agreed on new rules."
    assert article.original is not None and article.original.name == "Associated Press"


def test_without_evidence_the_original_is_unknown() -> None:
    article = build_article(title="Note", paragraphs=["A short note without any credit."], source="note.txt")
    assert article.original is None and article.publisher is None and article.evidence == ()
