"""The ``newsdesk`` command line: parses input, calls ``bot.service.Newsdesk``, prints results.

Data goes to stdout, diagnostics to stderr. Exit codes: 0 ok, 1 user error (the message names the
fix), 2 usage error (click's own).
"""

from __future__ import annotations

import dataclasses
import gc
import sys
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from bot.cli.common import OUTLET_KINDS, DeskOnDemand, check_outlets, desk_of, option_filters, print_json
from bot.cli.eval_commands import eval_group
from bot.cli.housekeeping import info, reset
from bot.cli.ingest_commands import ingest, remove
from bot.cli.llm_commands import doctor
from bot.cli.outlet_commands import outlets
from bot.cli.quote_commands import quotes
from bot.cli.research_commands import research
from bot.cli.stream import TerminalDraft
from bot.cli.telegram_command import telegram
from bot.errors import NewsdeskError

if TYPE_CHECKING:  # commands import what they use, so `newsdesk --help` starts in a fraction of a second
    from bot.service import Newsdesk
    from bot.types import Answer

#: Earlier questions a follow-up in `chat` may refer to.
CHAT_HISTORY = 6

CHAT_HELP = """Type a question and press Enter. Commands:
  /sources  list the ingested articles by outlet
  /help     show this help
  /quit     leave the chat (Ctrl-D works too)"""


class _UserErrors(click.Group):
    """Turns ``NewsdeskError`` into exit 1 with its message, once, for every command."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except NewsdeskError as error:
            raise click.ClickException(error.user_message) from error


@click.group(cls=_UserErrors)
@click.version_option(package_name="newsdesk")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """newsdesk: ask questions about news articles; answers quote the articles and flag each outlet."""
    ctx.obj = DeskOnDemand()
    ctx.call_on_close(ctx.obj.close)  # a server's HTTP connections are closed, not left to the garbage collector


@cli.command()
@click.argument("question")
@click.option("--json", "json_", is_flag=True, help="Print the answer as JSON (see the README for its fields).")
@click.option("-k", "k", type=click.IntRange(1, 50), default=None,
              help="Passages to retrieve (default: NEWSDESK_TOP_K).")
@click.option("--outlet", "outlets", multiple=True, help="Only passages from this outlet (name or domain); repeatable.")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(OUTLET_KINDS),
              help="Only passages from outlets of this kind; repeatable.")
@click.option("--since", help="Only articles published on or after this date (YYYY-MM-DD).")
@click.option("--until", help="Only articles published on or before this date (YYYY-MM-DD).")
@click.option("--answerer", type=click.Choice(["extractive", "llm"]), default=None,
              help="Quote the articles, or have the configured model write the answer (default: llm when "
              "NEWSDESK_LLM_PROVIDER is set).")
@click.pass_context
def ask(ctx: click.Context, question: str, json_: bool, k: int | None, outlets: tuple[str, ...],
        kinds: tuple[str, ...], since: str | None, until: str | None, answerer: str | None) -> None:
    """Answer a question from the ingested articles, with quotes and outlet-flagged sources.

    \b
    Examples:
      newsdesk ask "What did Lavrov say about Kiev?"
      newsdesk ask "What happened to Google's stock?" --outlet TechCrunch --since 2023-10-01
    """
    if not question.strip():
        raise click.UsageError("the question is empty")
    filters = option_filters(outlets, kinds, since, until)
    desk = desk_of(ctx)
    try:
        check_outlets(desk, outlets)
        with _draft(enabled=not json_) as on_text:
            result = desk.ask(question, k=k, filters=filters, answerer=answerer,  # type: ignore[arg-type]
                              on_text=on_text)
    except NewsdeskError as error:
        if json_:  # a script reading stdout gets an object to parse; the message still goes to stderr
            print_json({"error": error.user_message, "retryable": error.retryable})
        raise
    if json_:
        print_json(dataclasses.asdict(result))
    else:
        click.echo(_with_notice(result))


@contextmanager
def _draft(*, enabled: bool = True) -> Iterator[Callable[[str], None] | None]:
    """On a terminal, a model's text streams to stderr as a draft and is erased before the checked answer."""
    draft = TerminalDraft(sys.stderr) if enabled and sys.stderr.isatty() else None
    try:
        yield draft.write if draft else None
    finally:
        if draft:
            draft.clear()


def _with_notice(result: Answer) -> str:
    """The rendered answer, after its one-line notice (e.g. the model failed and quotes follow) if it has one."""
    from bot.cli.render import render_answer

    return (f"Note: {result.notice}\n\n" if result.notice else "") + render_answer(result)


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def _sources_text(desk: Newsdesk) -> str:
    from bot.answering.labels import describe, outlet_label

    records = desk.sources()
    if not records:
        return desk.empty_message()
    by_outlet: dict[str, list[str]] = defaultdict(list)
    for record in records:
        label = describe(outlet_label(record.original, desk.registry))
        host = outlet_label(record.publisher, desk.registry) if record.publisher else None
        via = f" (via {host.name})" if host and record.original and host.name != label.split(" (")[0] else ""
        date = f"{record.published_at[:10]} " if record.published_at else ""
        by_outlet[label].append(f"  {date}{record.title}{via} [{record.id}]")
    lines = [f"{_plural(len(records), 'article')} from {_plural(len(by_outlet), 'outlet')}:"]
    for label in sorted(by_outlet):
        lines.append(label)
        lines.extend(by_outlet[label])
    return "\n".join(lines)


@cli.command()
@click.option("--json", "json_", is_flag=True, help="Print the articles as JSON.")
@click.pass_context
def sources(ctx: click.Context, json_: bool) -> None:
    """List the ingested articles, grouped by original outlet.

    \b
    Example:
      newsdesk sources --json
    """
    from bot.answering.labels import outlet_label

    desk = desk_of(ctx)
    if json_:
        rows = []
        for record in desk.sources():
            row = dataclasses.asdict(record)
            row["outlet"] = dataclasses.asdict(outlet_label(record.original, desk.registry))
            rows.append(row)
        print_json(rows)
    else:
        click.echo(_sources_text(desk))


@cli.command()
@click.option("--answerer", type=click.Choice(["extractive", "llm"]), default=None,
              help="Quote the articles, or have the configured model write the answers.")
@click.pass_context
def chat(ctx: click.Context, answerer: str | None) -> None:
    """Ask questions one after another (/sources, /help, /quit).

    \b
    Example:
      newsdesk chat
    """

    from bot.retrieval.retriever import Filters

    desk = desk_of(ctx)
    rewriter = desk.question_rewriter(answerer)  # type: ignore[arg-type]
    history: deque[str] = deque(maxlen=CHAT_HISTORY)  # standalone questions, for follow-ups
    click.echo("newsdesk chat: ask about the ingested articles. /help for commands.")
    stdin = sys.stdin  # CliRunner swaps sys.stdin, so tests feed the chat like a terminal would
    while True:
        click.echo("> ", nl=False)
        line = stdin.readline()
        if not line:
            click.echo()
            return
        question = line.strip()
        if not question:
            continue
        if question in ("/quit", "/exit"):
            return
        if question == "/help":
            click.echo(CHAT_HELP)
        elif question == "/sources":
            click.echo(_sources_text(desk))
        elif question.startswith("/"):
            click.echo(f"unknown command {question}; /help lists the commands")
        else:
            try:
                standalone = rewriter.rewrite(question, tuple(history))
                if standalone != question:
                    click.echo(f"(asking: {standalone})")
                today = Filters(today=datetime.now().date())  # "last Tuesday" is the asker's last Tuesday
                with _draft() as on_text:
                    answered = desk.ask(standalone, filters=today, answerer=answerer,  # type: ignore[arg-type]
                                        on_text=on_text)
                click.echo(_with_notice(answered))
                history.append(standalone)
            except NewsdeskError as error:
                click.echo(f"error: {error.user_message}")


cli.add_command(ingest)
cli.add_command(remove)
cli.add_command(telegram)
cli.add_command(eval_group, name="eval")
cli.add_command(outlets)
cli.add_command(quotes)
cli.add_command(info)
cli.add_command(reset)
cli.add_command(doctor)
cli.add_command(research)


#: Allocations between two young-generation collections in a `newsdesk` process (Python's default: 700).
GC_THRESHOLD = 50_000


def main() -> None:
    # A command starts by importing and loading objects it keeps to its end (the outlet registry alone is 100k):
    # at the default threshold the collector scanned them a hundred times, some in full, about 0.1 s of each
    # `newsdesk ask` (#16). Every 50k allocations still collects a long `chat` or bot regularly.
    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])
    cli(prog_name="newsdesk")


if __name__ == "__main__":
    sys.exit(main())
