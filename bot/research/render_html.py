"""The research brief as one self-contained HTML page, to share as a file (``--format html``, Telegram /research).

No external asset, font or script: the CSS is inline, and a Content-Security-Policy forbids the page to load
anything at all, so a brief opened offline looks the same and tells nobody it was opened. Readable on a phone
(viewport meta, one fluid column, tables that scroll) and in print (``@media print``: no backgrounds, link
targets printed). Every piece of article, model or registry text is HTML-escaped, and only http(s) links are
made clickable, so hostile article text cannot add markup (tests/test_research_render.py checks it).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from bot.answering.labels import describe
from bot.research.brief import AttributedQuote, Brief, Excerpt, OutletSection
from bot.research.corroboration import CorroborationTable
from bot.research.render_markdown import chain_line, speaker_line
from bot.research.timeline import TimelineEntry

#: Section ids, in page order, with their headings: the browser test looks for each.
SECTIONS = (
    ("answer", "Answer"),
    ("sources", "What the sources say"),
    ("quotes", "Who said what"),
    ("timeline", "Timeline"),
    ("corroboration", "Corroboration"),
)
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; form-action 'none'; base-uri 'none'"
STYLE = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1a1a1a; background: #fff;
       margin: 0 auto; padding: 1rem; max-width: 46rem; overflow-wrap: anywhere; }
h1 { font-size: 1.5rem; line-height: 1.25; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
h3 { font-size: 1.05rem; margin-bottom: .25rem; }
blockquote { margin: .5rem 0; padding: .25rem .75rem; border-left: 3px solid #888; background: #f6f6f6; }
.meta, .label { color: #555; font-size: .9rem; }
.warning { border: 2px solid #b00020; padding: .5rem .75rem; color: #b00020; font-weight: 600; }
.resolved { font-style: italic; color: #555; }
.table { overflow-x: auto; } table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { border: 1px solid #ccc; padding: .3rem .4rem; text-align: left; vertical-align: top; }
ul { padding-left: 1.2rem; } li { margin: .4rem 0; }
a { color: #0645ad; }
@media (max-width: 30rem) { body { padding: .6rem; font-size: 15px; } }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  blockquote { background: none; }
  a { color: inherit; text-decoration: none; }
  a[href^="http"]::after { content: " <" attr(href) ">"; font-size: 8pt; color: #555; }
  h2, h3 { break-after: avoid; } li, blockquote, tr { break-inside: avoid; }
}
"""


def esc(text: str | None) -> str:
    return html.escape(text or "", quote=True)


def link(label: str, url: str | None) -> str:
    """An ``<a>`` to an http(s) URL; anything else (``javascript:``, a file path) is shown as plain text."""
    if not url or not re.match(r"https?://", url, re.I):
        return esc(label)
    return f'<a href="{esc(url)}" rel="noopener noreferrer">{esc(label)}</a>'


def _date(value: str | None) -> str:
    return esc(value[:10]) if value else "undated"


def _answer(brief: Brief) -> list[str]:
    answer = brief.answer
    out = [f'<p class="meta">Notice: {esc(answer.notice)}</p>'] if answer.notice else []
    out += [f"<p>{esc(line)}</p>" for line in answer.answer.splitlines() if line.strip()]
    if answer.citations:
        out.append("<ol class=\"citations\">")
        for c in answer.citations:
            via = f", via {esc(c.republished_by.name)}" if c.republished_by else ""
            source = f' <span class="label">({esc(c.outlet.source)})</span>' if c.outlet.source else ""
            out.append(f'<li value="{c.n}">{esc(describe(c.outlet))}{via}{source} — {link(c.title, c.url)}, '
                       f"{_date(c.published_at)}</li>")
        out.append("</ol>")
    return out


def _excerpt(excerpt: Excerpt) -> str:
    return (f"<blockquote>{esc(excerpt.text)}</blockquote>"
            f'<p class="meta">{link(excerpt.title, excerpt.url)}, {_date(excerpt.published_at)}</p>')


def _sources(sections: Iterable[OutletSection]) -> list[str]:
    out = []
    for section in sections:
        label = section.outlet
        out.append(f"<h3>{esc(describe(label))}</h3>")
        source = f"label: {esc(label.source)}" if label.source else "label: not classified by any source"
        sanctions = "".join(f"; {esc(s)}" for s in label.sanctions)
        out.append(f'<p class="label">{source}{sanctions}</p>')
        if section.republished_by:
            sites = ", ".join(esc(s.name) for s in section.republished_by)
            out.append(f'<p class="meta">Also carried by {sites} (republished copies, not counted again).</p>')
        out.extend(_excerpt(e) for e in section.excerpts)
    return out or ["<p>No passages matched the question.</p>"]


def _quote(quote: AttributedQuote) -> str:
    return (f"<li><strong>{esc(speaker_line(quote))}</strong>: "
            f"<q>{esc(quote.quote.text)}</q><br><span class=\"meta\">{esc(chain_line(quote))} · "
            f"{link('article', quote.url)}</span></li>")


def _event(entry: TimelineEntry) -> str:
    span = f" – {esc(entry.until)}" if entry.until else ""
    if entry.kind == "published":
        return (f"<li><strong>{esc(entry.date)}</strong> {esc(entry.outlet)} published "
                f"{link(entry.title, entry.url)}</li>")
    resolved = (f' <span class="resolved">(date resolved from {esc(entry.resolved_from)})</span>'
                if entry.resolved_from else "")
    return (f"<li><strong>{esc(entry.date)}{span}</strong> {esc(entry.text)} — {esc(entry.outlet)}, "
            f"{link(entry.title, entry.url)}{resolved}</li>")


def _corroboration(table: CorroborationTable) -> list[str]:
    out = [f"<p>{esc(table.summary)}</p>"]
    if table.warning:
        out.append(f'<p class="warning" role="alert">Warning: {esc(table.warning)}</p>')
    if table.rows:
        out.append('<div class="table"><table><thead><tr><th>Outlet</th><th>Kind</th><th>Country</th><th>Owner</th>'
                   "<th>Stories</th><th>Also carried by</th><th>Label source</th></tr></thead><tbody>")
        for row in table.rows:
            cells = (row.line.split(" — ")[0], row.kind, row.country or "—", row.owner or "—", str(row.stories),
                     ", ".join(row.also_carried_by) or "—", row.source or "not classified")
            out.append("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in cells) + "</tr>")
        out.append("</tbody></table></div>")
        out.extend(f'<p class="meta">{esc(row.line)}</p>' for row in table.rows if row.also_carried_by)
    return out


def render_html(brief: Brief) -> str:
    """The whole brief as a standalone HTML document."""
    bodies = {
        "answer": _answer(brief),
        "sources": _sources(brief.sources),
        "quotes": ["<ul>", *(_quote(q) for q in brief.quotes), "</ul>"] if brief.quotes
        else ["<p>No quotations on this question in the gathered articles.</p>"],
        "timeline": ["<ul>", *(_event(e) for e in brief.timeline), "</ul>"] if brief.timeline
        else ["<p>No dated articles.</p>"],
        "corroboration": _corroboration(brief.corroboration),
    }
    filters = f'<p class="meta">Filters: {esc(brief.filters)}</p>' if brief.filters else ""
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>Research brief: {esc(brief.question)}</title>", f"<style>{STYLE}</style>", "</head>", "<body>",
        f"<header><h1>Research brief: {esc(brief.question)}</h1>{filters}"
        f'<p class="meta">{brief.passages} passages gathered from {brief.stories} stories.</p></header>',
    ]
    for section_id, heading in SECTIONS:
        parts += [f'<section id="{section_id}">', f"<h2>{heading}</h2>", *bodies[section_id], "</section>"]
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"
