"""What the Telegram bot says: answers, passages, source lists and outlet cards as Telegram-HTML ``Reply`` values.

Pure: values in, ``Reply`` out, no PTB and no I/O. Every piece of article, outlet or model text goes through a
``Span`` and is escaped by ``bot.telegram.html``; nothing here writes a tag by hand.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from bot.answering.labels import UNKNOWN_KIND, describe, outlet_label
from bot.answering.outlet_card import card_lines
from bot.retrieval.query import MAX_QUESTION_CHARS
from bot.telegram.chat import MORE, PASSAGE, AnsweredQuestion, ButtonPress, PassageView
from bot.telegram.html import Span, bold, code, italic, link, plain, render_messages
from bot.types import Citation, OutletLabel
from ingest.outlets import KIND_PHRASES, OutletRegistry
from ingest.types import ArticleRecord, Outlet

#: Source lines (one per cited article) under an answer; the rest sit behind "More sources".
SOURCES_SHOWN = 5
BUTTONS_PER_ROW = 4
TITLES_PER_OUTLET = 5
NOT_IN_REGISTRY = "outlet not in registry"

REFUSAL = "Sorry, this is a private bot."
APOLOGY = "Sorry, something went wrong while answering. Please try again in a moment."
EXPIRED = "This answer is no longer available: please ask again."
ASK_USAGE = "Ask a question after the command, e.g. /ask What did the mayor say about the flood barrier?"
OUTLET_USAGE = "Name an outlet or a domain, e.g. /outlet RT or /outlet bbc.co.uk"
TEXT_ONLY = "Please send your question as text."
TOO_LONG = f"Questions can be up to {MAX_QUESTION_CHARS:,} characters long; please ask a shorter one."


@dataclass(frozen=True, slots=True)
class Button:
    text: str
    data: str


@dataclass(frozen=True, slots=True)
class Reply:
    """One or more HTML messages; ``buttons`` (rows of inline buttons) go under the last one."""

    messages: tuple[str, ...]
    buttons: tuple[tuple[Button, ...], ...] = ()

    @classmethod
    def of(cls, spans: Sequence[Span], buttons: Sequence[Sequence[Button]] = ()) -> Reply:
        return cls(tuple(render_messages(spans)), tuple(tuple(row) for row in buttons if row))

    @classmethod
    def text(cls, text: str) -> Reply:
        return cls.of([plain(text)])


def counted(n: int, unit: str) -> str:
    """``1 article``, ``2 articles``: the plural only when it is one."""
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def _rows(buttons: list[Button]) -> list[list[Button]]:
    return [buttons[i : i + BUTTONS_PER_ROW] for i in range(0, len(buttons), BUTTONS_PER_ROW)]


def _head(label: OutletLabel) -> str:
    return f"{label.name} ({label.domain})" if label.domain and label.domain != label.name else label.name


def compact_kind(label: OutletLabel) -> str:
    """``state-controlled, Russia``; an outlet the registry does not know is said to be unknown."""
    if label.kind == UNKNOWN_KIND:
        return NOT_IN_REGISTRY
    return f"{label.kind}, {label.country}" if label.country else label.kind


def source_spans(group: Sequence[Citation]) -> list[Span]:
    """``[1] RT (rt.com) · state-controlled, Russia · via USSANews.com · 2025-08-27``, the outlet linked to the
    article; quotes from one article share the line (``[1, 2]``)."""
    first = group[0]
    spans = [plain(f"[{', '.join(str(c.n) for c in group)}] "), link(_head(first.outlet), first.url),
             plain(f" · {compact_kind(first.outlet)}")]
    if first.republished_by:
        spans.append(plain(f" · via {first.republished_by.name}"))
    if first.published_at:
        spans.append(plain(f" · {first.published_at[:10]}"))
    return spans


def source_line(citation: Citation) -> str:
    """The plain text of one citation's source line."""
    return "".join(span.text for span in source_spans([citation]))


def _by_article(citations: Sequence[Citation]) -> list[list[Citation]]:
    groups: dict[str, list[Citation]] = {}
    for citation in citations:
        groups.setdefault(citation.article_id, []).append(citation)
    return list(groups.values())


def _sources_block(groups: Sequence[Sequence[Citation]], key: str) -> tuple[list[Span], list[Button]]:
    spans: list[Span] = []
    buttons = []
    for group in groups:
        spans += [*source_spans(group), plain("\n")]
        buttons += [Button(f"Passage {c.n}", ButtonPress(PASSAGE, key, c.n).data) for c in group]
    return spans, buttons


def answer_reply(answered: AnsweredQuestion, key: str) -> Reply:
    """The answer with its [n] markers, then one compact source line per article, "Passage n" buttons, and
    "More sources" when more than ``SOURCES_SHOWN`` articles are cited."""
    spans: list[Span] = []
    if answered.standalone != answered.asked:
        spans += [italic(f"Follow-up, read as: {answered.standalone}"), plain("\n\n")]
    if answered.answer.notice:  # e.g. the model failed and quotes follow: the reader must know who wrote what
        spans += [italic(answered.answer.notice), plain("\n\n")]
    spans.append(plain(answered.answer.answer))
    if answered.answer.abstained or not answered.answer.citations:
        return Reply.of(spans)
    groups = _by_article(answered.answer.citations)
    block, buttons = _sources_block(groups[:SOURCES_SHOWN], key)
    spans += [plain("\n\n"), bold("Sources"), plain("\n"), *block]
    if answered.answer.corroboration:
        spans += [plain("\n" + answered.answer.corroboration.summary)]
        if answered.answer.corroboration.warning:
            spans += [plain("\n"), bold("Note: "), plain(answered.answer.corroboration.warning)]
    rows = _rows(buttons)
    if len(groups) > SOURCES_SHOWN:
        rows.append([Button(f"More sources ({len(groups) - SOURCES_SHOWN})", ButtonPress(MORE, key).data)])
    return Reply.of(spans, rows)


def more_sources_reply(answered: AnsweredQuestion, key: str) -> Reply:
    """The source lines and passage buttons that did not fit under the answer."""
    groups = _by_article(answered.answer.citations)[SOURCES_SHOWN:]
    if not groups:
        return Reply.text("All sources are listed under the answer.")
    block, buttons = _sources_block(groups, key)
    return Reply.of([bold("More sources"), plain("\n"), *block], _rows(buttons))


def _label_spans(label: OutletLabel) -> list[Span]:
    spans = [plain(describe(label))]
    spans += [plain(f"\n⚠ {sanction}") for sanction in label.sanctions]
    if label.source:
        spans += [plain("\n"), italic(f"Label: {label.source}")]
    return spans


def passage_reply(view: PassageView, outlet: Outlet | None = None) -> Reply:
    """The full passage behind a quote, the quote in bold, with its outlet flag, where it was published, a link,
    and the outlet's full label card when the registry has one (the source line under an answer is kept short)."""
    citation = view.citation
    spans = [bold(f"[{citation.n}] {citation.title}"), plain("\n"), *_label_spans(citation.outlet)]
    details = []
    if citation.republished_by:
        details.append(f"republished by {citation.republished_by.name}")
    if citation.published_at:
        details.append(citation.published_at[:10])
    if details:
        spans.append(plain("\n" + " · ".join(details)))
    spans += [plain("\n\n"), plain(view.before), bold(citation.quote), plain(view.after)]
    article = link("Read the article", citation.url)
    if article.style:
        spans += [plain("\n\n"), article]
    if outlet is not None:
        spans += [plain("\n\n"), *_card_spans(outlet)]
    return Reply.of(spans)


def sources_reply(records: Sequence[ArticleRecord], registry: OutletRegistry) -> Reply:
    """The collection grouped by original outlet: the newest ``TITLES_PER_OUTLET`` titles of each, linked."""
    if not records:
        return Reply.text("No articles have been ingested yet.")
    by_outlet: dict[str, list[ArticleRecord]] = defaultdict(list)
    labels: dict[str, OutletLabel] = {}
    for record in records:
        label = outlet_label(record.original, registry)
        head = _head(label)
        labels[head] = label
        by_outlet[head].append(record)
    spans = [bold(f"{counted(len(records), 'article')} from {counted(len(by_outlet), 'outlet')}"), plain("\n")]
    for head in sorted(by_outlet, key=lambda h: (-len(by_outlet[h]), h.casefold())):
        articles = sorted(by_outlet[head], key=lambda r: r.published_at or "", reverse=True)
        spans += [plain("\n"), bold(head), plain(f" · {compact_kind(labels[head])} · {len(articles)}\n")]
        for record in articles[:TITLES_PER_OUTLET]:
            date = f"{record.published_at[:10]} " if record.published_at else ""
            host = outlet_label(record.publisher, registry).name if record.publisher else None
            via = f" (via {host})" if host and record.original and host != labels[head].name else ""
            spans += [plain(f"• {date}"), link(record.title or record.id, record.url), plain(f"{via}\n")]
        if len(articles) > TITLES_PER_OUTLET:
            spans.append(plain(f"• … and {len(articles) - TITLES_PER_OUTLET} more\n"))
    return Reply.of(spans)


def outlet_reply(query: str, outlet: Outlet | None, registry_size: int) -> Reply:
    """The outlet's label card (``bot.answering.outlet_card``): kind, country, owner, each claim's source and date."""
    if outlet is None:
        among = counted(registry_size, "outlet")
        return Reply.of([plain("No outlet matching "), bold(query), plain(f" among the {among} in "
                         "the registry. Try its name or its domain, e.g. /outlet rt.com")])
    return Reply.of(_card_spans(outlet))


def _card_spans(outlet: Outlet) -> list[Span]:
    head, *lines = card_lines(outlet)
    spans = [bold(head)]
    for line in (line.strip() for line in lines):
        if line.startswith("- "):
            spans.append(plain(f"\n• {line[2:]}"))
        elif line.endswith(":"):
            spans += [plain("\n"), bold(line)]
        else:
            spans.append(plain(f"\n{line}"))
    return spans


def about_reply(registry: OutletRegistry) -> Reply:
    """How outlets are labelled: the kinds, the registry's size, and the sources its labels come from."""
    outlets = list(registry.by_name.values())
    sources = Counter(outlet.source.split(":")[0].split(";")[0].strip() for outlet in outlets)
    spans = [
        bold("How outlets are labelled"), plain("\n"),
        plain("Every quote is credited to the outlet that first published it. When another site republished the "
              "article, the source line says “via” that site. The outlet's kind comes from a registry of "
              f"{counted(len(outlets), 'outlet')}; each entry names who classified it and as of when (the “Passage” "
              "and "
              "/outlet cards show it). An outlet missing from the registry is marked “"
              f"{NOT_IN_REGISTRY}”.\n\n"),
        bold("Kinds"), plain("\n"),
    ]
    spans += [plain(f"• {kind}: {phrase}\n") for kind, phrase in KIND_PHRASES.items()]
    spans += [plain("\n"), bold("Label sources"), plain("\n")]
    spans += [plain(f"• {source}: {counted(count, 'outlet')}\n") for source, count in sources.most_common(3)]
    rest = sum(sources.values()) - sum(count for _, count in sources.most_common(3))
    if rest:
        others = counted(rest, "outlet")
        spans.append(plain(f"• other cited references (annual reports, trade press, corpus pages): {others}\n"))
    spans.append(plain("\nState-funded media with editorial independence are kept apart from state-controlled "
                       "media, as the ASD/GMF State Media Matrix does."))
    return Reply.of(spans)


HELP_LINES = (
    ("/ask <question>", "answer a question (in groups too)"),
    ("/research <question>", "a research brief, sent as an HTML file"),
    ("/sources", "the articles in the collection, by outlet"),
    ("/outlet <name or domain>", "an outlet's label card"),
    ("/about", "how outlets are labelled, and by whom"),
    ("/help", "this list"),
)


def help_reply() -> Reply:
    spans = [bold("Commands"), plain("\n")]
    for command, what in HELP_LINES:
        spans += [code(command), plain(f" — {what}\n")]
    spans.append(plain(
        "\nIn a private chat any message is a question. Follow-ups such as “and what did the union say?” are read "
        "with your previous question. Tap “Passage n” under an answer to read the quoted passage in full.\n"
        "In groups I answer /ask, mentions of me and replies to my messages."))
    return Reply.of(spans)


def start_reply(records: Sequence[ArticleRecord], registry: OutletRegistry) -> Reply:
    """What the bot is, how to ask, and what the collection holds."""
    outlets = {_head(outlet_label(record.original, registry)) for record in records}
    dates = sorted(r.published_at[:10] for r in records if r.published_at)
    spans = [
        bold("newsdesk"), plain(" answers questions about the news articles in its collection. Answers quote the "
                                "articles word for word, number their sources [1], [2] … and flag each outlet: "
                                "state-controlled media, public broadcasters, wire services and others.\n\n"),
        bold("How to ask"), plain(": type a question, e.g. "),
        italic("What did the mayor say about the flood barrier?"),
        plain(" Follow-ups work too. In groups, use /ask, mention me or reply to me.\n\n"), bold("The collection"),
    ]
    if not records:
        spans.append(plain(": empty for now; questions can be answered once articles are ingested."))
    else:
        span = f", published {dates[0]} to {dates[-1]}" if dates else ""
        held = f"{counted(len(records), 'article')} from {counted(len(outlets), 'outlet')}"
        spans.append(plain(f": {held}{span}. /sources lists them."))
    spans.append(plain("\n\n/help lists the commands; /about explains the outlet labels."))
    return Reply.of(spans)


def too_many_messages_reply(wait_seconds: float) -> Reply:
    return Reply.text(f"That is a lot of messages at once; please wait {max(1, round(wait_seconds))} s.")


def rate_limited_reply(wait_seconds: float, per_minute: int) -> Reply:
    return Reply.text(f"You can ask {per_minute} questions a minute; please wait {max(1, round(wait_seconds))} s.")
