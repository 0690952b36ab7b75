"""A python-telegram-bot application running against the Bot API stand-in, as `run_polling` / `run_webhook` run
it, without their blocking loop and signal handling: shared by the Telegram tests."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from telegram.ext import Application

from bot.telegram.app import ALLOWED_UPDATES


@contextlib.asynccontextmanager
async def running(app: Application, *, webhook: dict[str, object] | None = None) -> AsyncIterator[Application]:
    """``app`` polling (or serving ``webhook``, the keyword arguments of ``start_webhook``) until the block ends."""
    await app.initialize()
    await app.post_init(app)  # type: ignore[misc]  # run_polling/run_webhook call it; initialize() does not
    await app.start()
    updater = app.updater
    assert updater is not None
    if webhook is None:
        await updater.start_polling(poll_interval=0.0, timeout=1, allowed_updates=list(ALLOWED_UPDATES))
    else:
        await updater.start_webhook(allowed_updates=list(ALLOWED_UPDATES), **webhook)  # type: ignore[arg-type]
    try:
        yield app
    finally:
        await updater.stop()
        await app.stop()
        await app.shutdown()
        if app.post_shutdown is not None:  # run_polling/run_webhook call it after shutdown()
            await app.post_shutdown(app)
