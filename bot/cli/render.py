"""Plain-text rendering of answers and source lists, shared by the CLI and the chat REPL.

Titles, outlet names, URLs and quotes come from stored articles, so they are made safe for a terminal: control
characters (an escape sequence can clear the screen, move the cursor or set the clipboard) are shown as "�", and a
source entry stays on its own line whatever line breaks its fields hold.
"""

from __future__ import annotations

import re

from bot.answering.labels import describe
from bot.types import Answer, Citation

# C0 controls but tab and newline, DEL, and C1 controls (CSI, OSC…). SEE: https://en.wikipedia.org/wiki/C0_and_C1_control_codes
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_BREAK = re.compile("[\n\r\t\v\f\x1c-\x1e\x85\u2028\u2029]+")


def _printable(text: str) -> str:
    return _CONTROL.sub("\ufffd", text)


def one_line(text: str) -> str:
    return _printable(_LINE_BREAK.sub(" ", text))


SOURCE_LINE_MAX = 300


def source_line(citation: Citation) -> str:
    """``[1] RT (rt.com) — state-controlled media, Russia · republished by USSANews.com — "<title>"``."""
    parts = [f"[{citation.n}] {describe(citation.outlet)}"]
    parts.extend(f" · {sanction}" for sanction in citation.outlet.sanctions)
    if citation.republished_by:
        parts.append(f" · republished by {citation.republished_by.name}")
    if citation.published_at:
        parts.append(f" · {citation.published_at[:10]}")
    # A source line stays under SOURCE_LINE_MAX characters: a long title is cut, the outlet's flags never are.
    room = max(20, SOURCE_LINE_MAX - len("".join(parts)) - 6)
    title = citation.title if len(citation.title) <= room else citation.title[: room - 1].rstrip() + "…"
    parts.append(f' — "{title}"')
    return one_line("".join(parts))


def render_answer(answer: Answer) -> str:
    """The answer, then one source entry per article: quotes from the same article share it (``[1, 2]``)."""
    if answer.abstained:
        return _printable(answer.answer)
    lines = [answer.answer, "", "Sources:"]
    by_article: dict[str, list[Citation]] = {}
    for citation in answer.citations:
        by_article.setdefault(citation.article_id, []).append(citation)
    for group in by_article.values():
        citation = group[0]
        numbers = ", ".join(str(c.n) for c in group)
        lines.append(f"[{numbers}]" + source_line(citation).removeprefix(f"[{citation.n}]"))
        if citation.url:
            lines.append(f"    {one_line(citation.url)}")
        if citation.outlet.source:
            lines.append(f"    outlet label: {one_line(citation.outlet.source)}")
    if answer.corroboration:
        lines += ["", answer.corroboration.summary]
        if answer.corroboration.warning:
            lines.append(f"Note: {answer.corroboration.warning}")
    return _printable("\n".join(lines))
