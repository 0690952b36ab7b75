"""``/research <question>`` in Telegram: a short summary message, and the HTML brief as a document.

The brief is the same self-contained page ``newsdesk research --format html`` writes, so it can be forwarded,
opened offline and printed. It is built in a worker thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import re
from datetime import date

from telegram import InputFile, ReplyParameters, Update
from telegram.constants import ChatAction
from telegram.ext import ContextTypes

from bot.research.brief import Brief
from bot.retrieval.query import MAX_QUESTION_CHARS
from bot.service import Newsdesk
from bot.telegram.handlers import SERVICES, Services
from bot.telegram.html import Span, bold, italic, plain, valid_unicode
from bot.telegram.render import TOO_LONG, Reply, rate_limited_reply

RESEARCH_USAGE = "Name what to research after the command, e.g. /research What has Moscow demanded in peace talks?"
#: Telegram's limit on a document caption, in characters after entities are parsed.
MAX_CAPTION = 1024


def build_research(desk: Newsdesk, question: str, today: date | None) -> tuple[Brief, bytes]:
    """Runs in a worker thread: the brief, and its HTML page as UTF-8 bytes."""
    from bot.research.render_html import render_html
    from bot.retrieval.retriever import Filters

    brief = desk.research(question, Filters(today=today))
    return brief, render_html(brief).encode("utf-8")


def summary_spans(brief: Brief) -> list[Span]:
    """What the attached brief holds, in a few lines: its answer's first line, counts and any warning."""
    table = brief.corroboration
    first = next((line for line in brief.answer.answer.splitlines() if line.strip()), "")
    if len(first) > 300:
        first = first[:299] + "…"
    spans = [bold("Research brief: "), plain(brief.question + "\n\n"), plain(first + "\n\n")]
    spans.append(plain(f"{brief.stories} stories from {len(table.rows)} outlets, {len(brief.quotes)} quotes, "
                       f"{len(brief.timeline)} dated events.\n"))
    if table.warning:
        spans += [bold("Warning: "), plain(table.warning + "\n")]
    spans.append(italic("The full brief is attached as an HTML file: open it in a browser."))
    return spans


def file_name(question: str) -> str:
    """``research-what-has-moscow-demanded.html``: ASCII words of the question, short."""
    words = re.findall(r"[a-z0-9]+", question.casefold())[:6]
    return "research-" + ("-".join(words) or "brief") + ".html"


def refusal(services: Services, user_id: int, asked: str) -> tuple[str, ...] | None:
    """The messages that answer ``asked`` instead of a brief (usage, too long, rate limited); None: go ahead."""
    if not asked.strip():
        return Reply.text(RESEARCH_USAGE).messages
    if len(asked) > MAX_QUESTION_CHARS:  # refused rather than cut, as questions are
        return Reply.text(TOO_LONG).messages
    rate = services.rate.decide(user_id)  # a brief costs more than a question: it counts as one, at least
    if not rate.allowed:
        return rate_limited_reply(rate.wait, services.rate.per_minute).messages if rate.tell else ()
    return None


async def research_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send a research brief on ``/research <question>``: a summary message and the HTML file."""
    services: Services = context.application.bot_data[SERVICES]
    chat, message, user = update.effective_chat, update.effective_message, update.effective_user
    assert chat is not None and message is not None and user is not None
    asked = valid_unicode(" ".join(context.args or []))
    refused = refusal(services, user.id, asked)
    for text in refused or ():
        await context.bot.send_message(chat.id, text)
    if refused is not None:
        return
    await context.bot.send_chat_action(chat.id, ChatAction.UPLOAD_DOCUMENT)
    sent_on = message.date.date() if message.date else None
    brief, page = await asyncio.to_thread(build_research, services.desk, asked, sent_on)
    quoted = ReplyParameters(message.message_id, allow_sending_without_reply=True)
    for text in Reply.of(summary_spans(brief)).messages:
        await context.bot.send_message(chat.id, text, reply_parameters=quoted)
    await context.bot.send_document(chat.id, InputFile(page, filename=file_name(asked)),
                                    caption=f"Research brief: {brief.question}"[:MAX_CAPTION], parse_mode=None)
