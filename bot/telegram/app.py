"""The Telegram adapter: a python-telegram-bot ``Application`` whose handlers call ``bot.service.Newsdesk``.

Handlers parse the update, call the service off the event loop and send what ``bot.telegram.render`` renders.
Embedding and retrieval run in a worker thread (``asyncio.to_thread``) and updates are processed concurrently,
so one slow question never holds up another chat; a per-chat lock keeps each chat's answers in order.
Requests go through PTB's ``AIORateLimiter``, which keeps to Telegram's flood limits and retries after a 429.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    CallbackQuery,
    LinkPreviewOptions,
    Message,
    MessageEntity,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import NetworkError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    BaseRateLimiter,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.answering.followup import QuestionRewriter
from bot.errors import NewsdeskError, StoreError
from bot.retrieval.query import MAX_QUESTION_CHARS
from bot.service import Newsdesk
from bot.settings import BotSettings
from bot.telegram.access import AccessPolicy, QuestionRateLimit, RateDecision, RefusalMemory, protect_token
from bot.telegram.chat import AnsweredQuestion, ButtonPress, ChatState, passage_view
from bot.telegram.draft import StreamingDraft, reply_markup
from bot.telegram.html import valid_unicode
from bot.telegram.render import (
    APOLOGY,
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

logger = logging.getLogger(__name__)

SERVICES = "newsdesk"
CHAT_STATE = "newsdesk_chat"
CONCURRENT_UPDATES = 64
RETRIES_AFTER_429 = 3
#: Commands and other non-question messages one user may send a minute (off when the question limit is off): a
#: flood of /help gets one "please wait" and then silence, as a flood of questions does.
OTHER_MESSAGES_PER_MINUTE = 20
ALLOWED_UPDATES = (Update.MESSAGE, Update.CALLBACK_QUERY)
COMMANDS = (
    ("start", "What this bot is and what it knows"),
    ("help", "The commands"),
    ("ask", "Ask a question: /ask <question>"),
    ("research", "A research brief as an HTML file: /research <question>"),
    ("sources", "The articles in the collection, by outlet"),
    ("outlet", "An outlet's label card: /outlet <name or domain>"),
    ("about", "How outlets are labelled, and by whom"),
)


class MissingTelegramToken(NewsdeskError):
    def __init__(self) -> None:
        super().__init__("NEWSDESK_TELEGRAM_TOKEN is not set: create a bot with @BotFather and put its token in "
                         "NEWSDESK_TELEGRAM_TOKEN (environment or .env); see the README, section Telegram")


@dataclass(frozen=True, slots=True)
class Services:
    """What the handlers use, kept in ``application.bot_data[SERVICES]``."""

    desk: Newsdesk
    access: AccessPolicy
    refusals: RefusalMemory
    rate: QuestionRateLimit
    others: QuestionRateLimit
    rewriter: QuestionRewriter


def api_base_url(url: str) -> str:
    """PTB appends ``<token>/<method>`` to the base URL, so it must end in ``/bot`` (or hold ``{token}``):
    ``http://127.0.0.1:8081`` → ``http://127.0.0.1:8081/bot``."""
    url = url.strip().rstrip("/")
    return url if "{token}" in url or url.endswith("/bot") else url + "/bot"


def build_application(
    settings: BotSettings,
    desk: Newsdesk,
    *,
    request: BaseRequest | None = None,
    base_url: str | None = None,
    rate_limiter: BaseRateLimiter | None = None,
) -> Application:
    """The bot, ready for ``run_polling``/``run_webhook``; tests pass a ``request`` transport or a ``base_url``."""
    token = settings.telegram_token.get_secret_value().strip() if settings.telegram_token else ""
    if not token:
        raise MissingTelegramToken()
    protect_token(token)
    builder = (
        ApplicationBuilder().token(token).base_url(api_base_url(base_url or settings.telegram_api_url))
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .rate_limiter(rate_limiter or AIORateLimiter(max_retries=RETRIES_AFTER_429))
        .concurrent_updates(CONCURRENT_UPDATES)
        .post_init(on_start)
        .post_shutdown(on_stop)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    application = builder.build()
    access = AccessPolicy.from_entries(settings.telegram_allowed_users)
    if access.everyone:
        logger.warning("NEWSDESK_TELEGRAM_ALLOWED_USERS is empty: anyone who finds the bot can use it")
    others = QuestionRateLimit(OTHER_MESSAGES_PER_MINUTE if settings.telegram_questions_per_minute else 0)
    application.bot_data[SERVICES] = Services(
        desk, access, RefusalMemory(), QuestionRateLimit(settings.telegram_questions_per_minute), others,
        desk.question_rewriter(),
    )
    _add_handlers(application)
    return application


class _AddressedToBot(filters.MessageFilter):
    """A message that mentions the bot or replies to one of its messages."""

    def filter(self, message: Message) -> bool:
        bot = message.get_bot()
        replied = message.reply_to_message
        if replied and replied.from_user and replied.from_user.id == bot.id:
            return True
        mention = f"@{bot.username}".casefold()
        return any(text.casefold() == mention for text in message.parse_entities([MessageEntity.MENTION]).values())


def _add_handlers(application: Application) -> None:
    from bot.telegram.research import research_command  # it imports this module: registered here, not at the top

    private, text = filters.ChatType.PRIVATE, filters.UpdateType.MESSAGE & filters.TEXT
    application.add_handler(TypeHandler(Update, gatekeeper), group=-1)
    application.add_handlers([
        CommandHandler("start", start, filters=private),
        CommandHandler("help", help_command, filters=private),
        CommandHandler("ask", ask_command),
        CommandHandler("research", research_command),
        CommandHandler("sources", sources_command, filters=private),
        CommandHandler("outlet", outlet_command, filters=private),
        CommandHandler("about", about_command, filters=private),
        MessageHandler(private & filters.COMMAND, unknown_command),
        MessageHandler(private & text, question),
        MessageHandler(filters.ChatType.GROUPS & text & ~filters.COMMAND & _AddressedToBot(), question),
        MessageHandler(private & filters.UpdateType.MESSAGE & ~filters.TEXT, not_text),
        CallbackQueryHandler(passage_button, pattern=r"^p:"),
        CallbackQueryHandler(more_sources_button, pattern=r"^m:"),
        CallbackQueryHandler(unknown_button),
    ])
    application.add_error_handler(error_handler)


async def on_start(application: Application) -> None:
    """Register the command menus, and open the collection and its search index before the first question."""
    await application.bot.set_my_commands([BotCommand(name, text) for name, text in COMMANDS])
    await application.bot.set_my_commands([BotCommand(*COMMANDS[2])], scope=BotCommandScopeAllGroupChats())
    desk = application.bot_data[SERVICES].desk
    records = await asyncio.to_thread(desk.sources)
    if records:  # loads the embedder and builds (or loads) the index once, before questions arrive concurrently
        await asyncio.to_thread(desk.retrieve, "warm-up", k=1)
    logger.info("@%s is up; articles in the collection: %d", application.bot.username, len(records))


async def on_stop(application: Application) -> None:
    """Close the collection's store (a Chroma server's HTTP connections) once the bot has stopped answering."""
    await asyncio.to_thread(application.bot_data[SERVICES].desk.close)


# ---- helpers: everything the handlers share; the handlers themselves stay a few lines each --------------------


def _services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.application.bot_data[SERVICES]


def _chat(context: ContextTypes.DEFAULT_TYPE) -> ChatState:
    assert context.chat_data is not None, "every handled update has a chat"
    return context.chat_data.setdefault(CHAT_STATE, ChatState())


async def _send(bot: Bot, chat_id: int, reply: Reply, *, reply_to: int | None = None) -> None:
    """Send ``reply``'s messages in order, the first as a reply to ``reply_to``, the buttons under the last."""
    markup = reply_markup(reply)
    for i, text in enumerate(reply.messages):
        quoted = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to and i == 0 else None
        last = i == len(reply.messages) - 1
        await bot.send_message(chat_id, text, reply_parameters=quoted, reply_markup=markup if last else None)


async def _reply(update: Update, context: ContextTypes.DEFAULT_TYPE, reply: Reply, *, quote: bool = False) -> None:
    assert update.effective_chat is not None and update.effective_message is not None
    reply_to = update.effective_message.message_id if quote else None
    await _send(context.bot, update.effective_chat.id, reply, reply_to=reply_to)


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
        await _send(context.bot, query.message.chat.id, passage_reply(view, outlet), reply_to=query.message.message_id)


async def more_sources_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the sources that did not fit under an answer."""
    query, press, answered = _pressed(update, context)
    await query.answer(None if answered else EXPIRED)
    if answered and press and query.message:
        await _send(context.bot, query.message.chat.id, more_sources_reply(answered, press.key))


async def unknown_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a press whose data is none of ours, so the user's client stops its spinner."""
    assert update.callback_query is not None
    await update.callback_query.answer(EXPIRED)


async def error_handler(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the traceback (or the user error) and send the user a short apology."""
    error = context.error
    if isinstance(error, NewsdeskError):
        logger.warning("update %s: %s", getattr(update, "update_id", "-"), error.user_message)
    elif update is None and isinstance(error, NetworkError):
        logger.warning("cannot reach the Bot API: %s", error)  # polling retries on its own
    else:
        logger.error("update %s failed", getattr(update, "update_id", "-"), exc_info=error)
    if isinstance(update, Update) and update.effective_chat:
        # A lost Chroma server is the operator's to fix (it is logged above); the reader gets the apology.
        text = error.user_message if isinstance(error, NewsdeskError) and not isinstance(error, StoreError) else APOLOGY
        await _send(context.bot, update.effective_chat.id, Reply.text(text))
