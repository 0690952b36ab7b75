"""The research brief as Markdown (``newsdesk research``'s default format).

Article text is quoted, never interpreted: characters Markdown would read as markup (``*``, ``[``, ``<``, …)
are backslash-escaped, so a hostile article cannot add links, images or HTML to a brief.
"""

from __future__ import annotations

import re

from bot.answering.labels import describe
from bot.research.brief import AttributedQuote, Brief, Excerpt
from bot.research.timeline import TimelineEntry

# Parentheses, "#", "-" and "!" are markup only after "]" or at the start of a line, and every line starts with
# our own text: escaping them too would litter names and dates with backslashes.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")


def md_text(text: str) -> str:
    """``text`` with every Markdown special character escaped and line breaks folded to spaces."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def md_link(label: str, url: str | None) -> str:
    """A link whose target cannot break out of ``(…)``; plain text when there is no http(s) URL."""
    if not url or not re.match(r"https?://", url, re.I):
        return md_text(label)
    safe = url.replace(" ", "%20").replace("(", "%28").replace(")", "%29").replace("<", "%3C").replace(">", "%3E")
    return f"[{md_text(label)}](<{safe}>)"


def _date(value: str | None) -> str:
    return md_text(value[:10]) if value else "undated"


def _excerpt(excerpt: Excerpt) -> str:
    return f"- “{md_text(excerpt.text)}” — {md_link(excerpt.title, excerpt.url)}, {_date(excerpt.published_at)}"


def speaker_line(quote: AttributedQuote) -> str:
    """``Sergey Lavrov (Russian Foreign Minister)``, or ``a senior official, unnamed``, or ``unattributed``."""
    q = quote.quote
    who = q.speaker or "unattributed"
    if q.speaker_role:
        who += f" ({q.speaker_role})"
    if q.anonymous:
        who += ", unnamed"
    return who


def chain_line(quote: AttributedQuote) -> str:
    """``quoted by The Atlantic — as retold by RT, 2025-08-27 — republished by USSANews.com``."""
    reported = quote.reported_by or "an unknown outlet"
    date = f", {quote.published_at}" if quote.published_at else ""
    if quote.quote.via:
        head = f"quoted by {' via '.join(quote.quote.via)} — as retold by {reported}{date}"
    else:
        head = f"reported by {reported}{date}"
    if quote.republished_by:
        head += f" — republished by {', '.join(quote.republished_by)}"
    return head


def _quote(quote: AttributedQuote) -> str:
    verb = "said" if quote.quote.kind == "direct" else "said (reported speech)"
    return (f"- **{md_text(speaker_line(quote))}** {verb}: “{md_text(quote.quote.text)}” — "
            f"{md_text(chain_line(quote))} ({md_link('article', quote.url)})")


def _event(entry: TimelineEntry) -> str:
    span = f" to {md_text(entry.until)}" if entry.until else ""
    resolved = f" _(date resolved from {md_text(entry.resolved_from)})_" if entry.resolved_from else ""
    if entry.kind == "published":
        return f"- **{md_text(entry.date)}** {md_text(entry.outlet)} published {md_link(entry.title, entry.url)}"
    return (f"- **{md_text(entry.date)}{span}** {md_text(entry.text)} — {md_text(entry.outlet)}, "
            f"{md_link(entry.title, entry.url)}{resolved}")


def render_markdown(brief: Brief) -> str:
    """The whole brief: answer, sources by outlet, who said what, timeline and corroboration."""
    lines = [f"# Research brief: {md_text(brief.question)}", ""]
    if brief.filters:
        lines += [f"Filters: {md_text(brief.filters)}", ""]
    lines += [f"{brief.passages} passages gathered from {brief.stories} stories.", "", "## Answer", ""]
    if brief.answer.notice:
        lines += [f"_Note: {md_text(brief.answer.notice)}_", ""]
    lines += [md_text(line) + "  " for line in brief.answer.answer.splitlines() if line.strip()]
    lines.append("")
    for c in brief.answer.citations:
        via = f", via {md_text(c.republished_by.name)}" if c.republished_by else ""
        lines.append(f"- \\[{c.n}\\] {md_text(describe(c.outlet))}{via} — {md_link(c.title, c.url)}, "
                     f"{_date(c.published_at)}")
    lines += ["", "## What the sources say", ""]
    if not brief.sources:
        lines.append("No passages matched the question.")
    for section in brief.sources:
        label = describe(section.outlet)
        source = f" (label: {md_text(section.outlet.source)})" if section.outlet.source else ""
        lines.append(f"### {md_text(label)}{source}")
        if section.republished_by:
            lines.append(f"Also carried by {md_text(', '.join(s.name for s in section.republished_by))}.")
        lines += ["", *(_excerpt(e) for e in section.excerpts), ""]
    lines += ["## Who said what", ""]
    lines += [_quote(q) for q in brief.quotes] or ["No quotations on this question in the gathered articles."]
    lines += ["", "## Timeline", ""]
    lines += [_event(e) for e in brief.timeline] or ["No dated articles."]
    table = brief.corroboration
    lines += ["", "## Corroboration", "", md_text(table.summary), ""]
    if table.warning:
        lines += [f"**Warning:** {md_text(table.warning)}", ""]
    if table.rows:
        lines += ["| Outlet | Kind | Country | Owner | Stories | Also carried by | Label source |",
                  "|---|---|---|---|---|---|---|"]
        for row in table.rows:
            cells = [row.line.split(" — ")[0], row.kind, row.country or "—", row.owner or "—", str(row.stories),
                     ", ".join(row.also_carried_by) or "—", row.source or "not classified"]
            lines.append("| " + " | ".join(md_text(c) for c in cells) + " |")
        copied = [md_text(row.line) for row in table.rows if row.also_carried_by]
        lines += ["", *(f"- {line}" for line in copied)] if copied else []
    return "\n".join(lines).rstrip() + "\n"
