"""The Telegram adapter: a python-telegram-bot ``Application`` whose handlers call ``bot.service.Newsdesk``.

This module builds the application: its services, the handlers of ``bot.telegram.handlers`` (which parse the
update, call the service off the event loop and send what ``bot.telegram.render`` renders), what runs at start
and stop, and the one error handler. Embedding and retrieval run in a worker thread (``asyncio.to_thread``) and
updates are processed concurrently, so one slow question never holds up another chat; a per-chat lock keeps each
chat's answers in order. Requests go through PTB's ``AIORateLimiter``, which keeps to Telegram's flood limits and
retries after a 429.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    LinkPreviewOptions,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import NetworkError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
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

from bot.errors import NewsdeskError, StoreError
from bot.service import Newsdesk
from bot.settings import BotSettings
from bot.telegram.access import AccessPolicy, QuestionRateLimit, RefusalMemory, protect_token
from bot.telegram.handlers import (
    SERVICES,
    Services,
    about_command,
    ask_command,
    gatekeeper,
    help_command,
    more_sources_button,
    not_text,
    outlet_command,
    passage_button,
    question,
    send_reply,
    sources_command,
    start,
    unknown_button,
    unknown_command,
)
from bot.telegram.render import APOLOGY, Reply
from bot.telegram.research import research_command

logger = logging.getLogger(__name__)

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
        await send_reply(context.bot, update.effective_chat.id, Reply.text(text))
