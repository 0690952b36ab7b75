"""``newsdesk telegram``: serve the Telegram bot, by long polling (default) or behind a webhook."""

from __future__ import annotations

import logging
import re
import secrets
import warnings
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import click

from bot.cli.common import desk_of
from bot.telegram.access import TokenRedactor

if TYPE_CHECKING:  # python-telegram-bot loads when the bot starts, not with every `newsdesk` command
    from telegram.error import TelegramError

# Telegram allows 1-256 characters A-Z, a-z, 0-9, _ and - in a webhook secret. SEE: https://core.telegram.org/bots/api#setwebhook
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
# Records PTB logs (with a traceback) just before it raises the same error; the command reports that error in one
# line, so these copies are dropped: the retry loop's start-up failure (PTB's private modules log as "telegram.ext")
# and an error response that is not JSON (a wrong NEWSDESK_TELEGRAM_API_URL, a proxy's error page).
_REPEATED_BEFORE_RAISING = {"telegram.ext": "Bootstrap", "telegram.request.BaseRequest": "Can not load invalid JSON"}


class _RepeatedBeforeRaising(logging.Filter):
    """Drops a logger's error records that hold ``marker``: the error they carry is raised and reported anyway."""

    def __init__(self, marker: str) -> None:
        super().__init__()
        self.marker = marker

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.levelno >= logging.ERROR and self.marker in record.getMessage())


@click.command()
@click.option("--webhook-url", default=None, metavar="URL",
              help="Public HTTPS URL Telegram posts updates to; without it the bot uses long polling.")
@click.option("--listen", default="127.0.0.1", show_default=True, help="Address the webhook server binds to.")
@click.option("--port", type=click.IntRange(1, 65535), default=8443, show_default=True,
              help="Port the webhook server listens on.")
@click.option("--secret-token", default=None,
              help="Secret Telegram sends with each webhook request; requests without it are rejected (403). "
              "Default: a random one, set on the webhook at start.")
@click.pass_context
def telegram(ctx: click.Context, webhook_url: str | None, listen: str, port: int, secret_token: str | None) -> None:
    """Serve the Telegram bot (needs NEWSDESK_TELEGRAM_TOKEN; see the README, section "Telegram").

    \b
    Examples:
      newsdesk telegram
      newsdesk telegram --webhook-url https://bot.example.org/telegram --port 8443
    """
    if secret_token is not None and not _SECRET.fullmatch(secret_token):
        raise click.UsageError("--secret-token may only hold A-Z, a-z, 0-9, _ and - (1-256 characters)")
    if webhook_url is None and secret_token is not None:
        raise click.UsageError("--secret-token needs --webhook-url")
    if webhook_url is not None and urlsplit(webhook_url).scheme not in ("http", "https"):
        raise click.UsageError("--webhook-url must be an http(s) URL")
    from telegram.error import TelegramError
    from telegram.warnings import PTBDeprecationWarning

    from bot.telegram.app import ALLOWED_UPDATES, build_application

    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    # PTB 22 warns, on every 429, that RetryAfter.retry_after will become a timedelta; its rate limiter already
    # reads the timedelta, so the warning tells an operator nothing.
    warnings.filterwarnings("ignore", message="In a future major version attribute `retry_after`",
                            category=PTBDeprecationWarning)
    for name, marker in _REPEATED_BEFORE_RAISING.items():
        logging.getLogger(name).addFilter(_RepeatedBeforeRaising(marker))
    desk = desk_of(ctx)
    application = build_application(desk.settings, desk)
    try:
        if webhook_url is None:
            click.echo("newsdesk telegram: long polling; Ctrl-C stops.", err=True)
            application.run_polling(allowed_updates=list(ALLOWED_UPDATES))
            return
        url_path = urlsplit(webhook_url).path.strip("/")
        click.echo(f"newsdesk telegram: webhook {webhook_url}, listening on {listen}:{port}/{url_path}; "
                   "Ctrl-C stops.", err=True)
        application.run_webhook(
            listen=listen, port=port, url_path=url_path, webhook_url=webhook_url,
            allowed_updates=list(ALLOWED_UPDATES), secret_token=secret_token or secrets.token_urlsafe(32),
        )
    except TelegramError as error:
        line = _startup_failure(error, desk.settings.telegram_api_url)
        # An InvalidToken message quotes the token in full, and so would a URL built with it.
        raise click.ClickException(TokenRedactor(application.bot.token).redact(line)) from None


def _startup_failure(error: TelegramError, api_url: str) -> str:
    """One line for an error that stopped the bot from starting: which, and what to check."""
    from telegram.error import InvalidToken, NetworkError

    detail = str(error)
    if isinstance(error, InvalidToken):
        return (f"the Bot API at {api_url} rejected the token ({detail}): check NEWSDESK_TELEGRAM_TOKEN and "
                "NEWSDESK_TELEGRAM_API_URL")
    if isinstance(error, NetworkError):
        return f"cannot reach the Bot API at {api_url} ({detail}): check the network and NEWSDESK_TELEGRAM_API_URL"
    return f"the Bot API at {api_url} refused to start the bot: {detail}"
