"""The Telegram bot's handlers and what they share: each handler parses the update, calls ``bot.service.Newsdesk``
off the event loop (``asyncio.to_thread``) and sends what ``bot.telegram.render`` renders. A per-chat lock keeps
each chat's answers in order. ``bot.telegram.app`` builds the ``Application`` and registers them.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from telegram import Bot, CallbackQuery, ReplyParameters, Update
from telegram.constants import ChatAction, ChatType
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.answering.followup import QuestionRewriter
from bot.retrieval.query import MAX_QUESTION_CHARS
from bot.service import Newsdesk
from bot.telegram.access import AccessPolicy, QuestionRateLimit, RateDecision, RefusalMemory
from bot.telegram.chat import AnsweredQuestion, ButtonPress, ChatState, passage_view
from bot.telegram.draft import StreamingDraft, reply_markup
from bot.telegram.html import valid_unicode
from bot.telegram.render import (
    ASK_USAGE,
    EXPIRED,
    OUTLET_USAGE,
    REFUSAL,
    TEXT_ONLY,
    TOO_LONG,
    Reply,
    about_reply,
    answer_reply,
    help_reply,
    more_sources_reply,
    outlet_reply,
    passage_reply,
    rate_limited_reply,
    sources_reply,
    start_reply,
    too_many_messages_reply,
)

SERVICES = "newsdesk"
CHAT_STATE = "newsdesk_chat"


@dataclass(frozen=True, slots=True)
class Services:
    """What the handlers use, kept in ``application.bot_data[SERVICES]``."""

    desk: Newsdesk
    access: AccessPolicy
    refusals: RefusalMemory
    rate: QuestionRateLimit
    others: QuestionRateLimit
    rewriter: QuestionRewriter


# ---- helpers: everything the handlers share; the handlers themselves stay a few lines each --------------------


def _services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.application.bot_data[SERVICES]


def _chat(context: ContextTypes.DEFAULT_TYPE) -> ChatState:
    assert context.chat_data is not None, "every handled update has a chat"
    return context.chat_data.setdefault(CHAT_STATE, ChatState())


async def send_reply(bot: Bot, chat_id: int, reply: Reply, *, reply_to: int | None = None) -> None:
    """Send ``reply``'s messages in order, the first as a reply to ``reply_to``, the buttons under the last."""
    markup = reply_markup(reply)
    for i, text in enumerate(reply.messages):
        quoted = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to and i == 0 else None
        last = i == len(reply.messages) - 1
        await bot.send_message(chat_id, text, reply_parameters=quoted, reply_markup=markup if last else None)


async def _reply(update: Update, context: ContextTypes.DEFAULT_TYPE, reply: Reply, *, quote: bool = False) -> None:
    assert update.effective_chat is not None and update.effective_message is not None
    reply_to = update.effective_message.message_id if quote else None
    await send_reply(context.bot, update.effective_chat.id, reply, reply_to=reply_to)


def answer_question(desk: Newsdesk, asked: str, standalone: str, today: date | None = None,
                    on_text: Callable[[str], None] | None = None) -> AnsweredQuestion:
    """Runs in a worker thread: retrieval, the answer, and the paragraph around each quote for its button.

    ``today`` is the day the question was sent, against which "last Tuesday" or "yesterday" are read;
    ``on_text`` receives a model's text as it streams.
    """
    from bot.retrieval.retriever import Filters

    answer = desk.ask(standalone, filters=Filters(today=today), on_text=on_text)
    bodies = {c.article_id: desk.article_body(c.article_id) for c in answer.citations}
    views = tuple(passage_view(c, bodies[c.article_id]) for c in answer.citations)
    return AnsweredQuestion(asked=asked, standalone=standalone, answer=answer, passages=views)


def _sent_on(update: Update) -> date | None:
    """The day the message was sent (UTC, as Telegram dates it)."""
    message = update.effective_message
    return message.date.date() if message is not None and message.date is not None else None


async def _answer(update: Update, context: ContextTypes.DEFAULT_TYPE, asked: str) -> None:
    """Rate limit, rewrite a follow-up, show "typing…", answer off the event loop, reply with buttons."""
    services, chat, user = _services(context), _chat(context), update.effective_user
    assert user is not None and update.effective_chat is not None
    asked = valid_unicode(asked)  # JSON may carry a lone surrogate ("\ud800"); the embedder's tokenizer raises on it
    if not asked.strip():
        await _reply(update, context, Reply.text(ASK_USAGE))
        return
    rate = services.rate.decide(user.id)
    if not rate.allowed:
        if rate.tell:
            await _reply(update, context, rate_limited_reply(rate.wait, services.rate.per_minute))
        return
    if len(asked) > MAX_QUESTION_CHARS:  # refused rather than cut, so nobody gets an answer to half a question
        await _reply(update, context, Reply.text(TOO_LONG))
        return
    async with chat.lock:
        standalone = await asyncio.to_thread(services.rewriter.rewrite, asked, tuple(chat.history))
        await context.bot.send_chat_action(update.effective_chat.id, ChatAction.TYPING)
        if not _streams(services.desk):
            answered = await asyncio.to_thread(answer_question, services.desk, asked, standalone, _sent_on(update))
            await _reply(update, context, answer_reply(answered, chat.keep(answered)), quote=True)
            return
        assert update.effective_message is not None
        draft = StreamingDraft(context.bot, update.effective_chat.id, reply_to=update.effective_message.message_id)
        try:
            answered = await asyncio.to_thread(answer_question, services.desk, asked, standalone, _sent_on(update),
                                               draft.feed)
        except Exception:
            await draft.withdraw()
            raise
        await draft.finish(answer_reply(answered, chat.keep(answered)))


def _streams(desk: Newsdesk) -> bool:
    """True when a model writes the answers: its text is then shown as a draft while it streams."""
    return desk.settings.llm_provider != "none" and bool(desk.settings.llm_model)


async def _flooded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """True when the user sends commands faster than ``OTHER_MESSAGES_PER_MINUTE``; the first is told to wait."""
    user = update.effective_user
    decision = _services(context).others.decide(user.id) if user else RateDecision(True)
    if decision.tell:
        await _reply(update, context, too_many_messages_reply(decision.wait))
    return not decision.allowed


def _pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE
) -> tuple[CallbackQuery, ButtonPress | None, AnsweredQuestion | None]:
    """The pressed button's query, its parsed data and the answer it belongs to (None once forgotten)."""
    query = update.callback_query
    assert query is not None, "the handlers only match callback queries"
    press = ButtonPress.parse(query.data)
    if query.message is None:  # a button under an inline-mode message (a forged one: the bot sends none)
        return query, None, None
    return query, press, _chat(context).find(press.key) if press else None


def _without_mention(text: str, username: str) -> str:
    return re.sub(rf"@{re.escape(username)}\b", " ", text, flags=re.I).strip()


# ---- handlers ---------------------------------------------------------------------------------------------------


async def gatekeeper(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Let allow-listed users through; give anyone else one short refusal in private, then silence."""
    services, user = _services(context), update.effective_user
    if user is not None and services.access.allows(user.id, user.username):
        return
    chat_type = update.effective_chat.type if update.effective_chat else None
    direct = chat_type == ChatType.PRIVATE or update.callback_query is not None  # in groups: silence from the start
    first = direct and user is not None and services.refusals.first_time(user.id)
    if update.callback_query:
        await update.callback_query.answer(REFUSAL if first else None)
    elif first:
        await _reply(update, context, Reply.text(REFUSAL))
    raise ApplicationHandlerStop


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say what the bot is, how to ask, and what the collection holds."""
    if await _flooded(update, context):
        return
    desk = _services(context).desk
    await _reply(update, context, start_reply(await asyncio.to_thread(desk.sources), desk.registry))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the commands."""
    if await _flooded(update, context):
        return
    await _reply(update, context, help_reply())


async def ask_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer ``/ask <question>``, in private chats and groups."""
    await _answer(update, context, " ".join(context.args or []))


async def question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a private message, or a group message addressed to the bot, as a question."""
    assert update.effective_message is not None and update.effective_message.text is not None
    await _answer(update, context, _without_mention(update.effective_message.text, context.bot.username))


async def sources_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the collection's articles by outlet."""
    if await _flooded(update, context):
        return
    desk = _services(context).desk
    await _reply(update, context, sources_reply(await asyncio.to_thread(desk.sources), desk.registry))


async def outlet_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the label card of ``/outlet <name or domain>``."""
    if await _flooded(update, context):
        return
    desk, name = _services(context).desk, " ".join(context.args or [])
    reply = outlet_reply(name, desk.find_outlet(name), len(desk.registry)) if name else Reply.text(OUTLET_USAGE)
    await _reply(update, context, reply)


async def about_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain how outlets are labelled and where the labels come from."""
    if await _flooded(update, context):
        return
    await _reply(update, context, about_reply(_services(context).desk.registry))


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Point an unknown command to /help."""
    if await _flooded(update, context):
        return
    await _reply(update, context, Reply.text("I don't know that command; /help lists the ones I do."))


async def not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ask for text when a private message holds none."""
    if await _flooded(update, context):
        return
    await _reply(update, context, Reply.text(TEXT_ONLY))


async def passage_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the full passage behind a "Passage n" button."""
    query, press, answered = _pressed(update, context)
    view = answered.passage(press.n) if answered and press and press.n is not None else None
    await query.answer(None if view else EXPIRED)
    if view and query.message:
        outlet = _services(context).desk.find_outlet(view.citation.outlet.domain or view.citation.outlet.name)
        await send_reply(context.bot, query.message.chat.id, passage_reply(view, outlet),
                         reply_to=query.message.message_id)


async def more_sources_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the sources that did not fit under an answer."""
    query, press, answered = _pressed(update, context)
    await query.answer(None if answered else EXPIRED)
    if answered and press and query.message:
        await send_reply(context.bot, query.message.chat.id, more_sources_reply(answered, press.key))


async def unknown_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a press whose data is none of ours, so the user's client stops its spinner."""
    assert update.callback_query is not None
    await update.callback_query.answer(EXPIRED)
