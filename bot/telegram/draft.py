"""A model's answer shown in Telegram as it streams: one draft message, edited as it grows, then the checked reply.

The model writes in a worker thread (``asyncio.to_thread``); ``feed`` is its ``on_text`` and hands each piece to
the event loop with ``call_soon_threadsafe``, where one editor task sends the draft and edits it at most once per
``interval`` seconds: Telegram allows about one edit a second per chat, and PTB's rate limiter would otherwise
queue edits behind one another. The draft is plain text (escaped like every other text, ``bot.telegram.html``)
and kept to the first message's 4096 units. ``finish`` stops the editor and turns the draft into the checked
reply (``bot.telegram.render``): the unchecked text is never left on screen.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, ReplyParameters
from telegram.error import BadRequest, TelegramError

from bot.telegram.html import MAX_TEXT_LENGTH, plain, split_spans, to_html
from bot.telegram.render import Reply

logger = logging.getLogger(__name__)

#: Seconds between two sends or edits of one draft.
EDIT_INTERVAL = 1.0
MORE = "…"
WITHDRAWN = "Sorry, this answer could not be finished. Please try again in a moment."


def reply_markup(reply: Reply) -> InlineKeyboardMarkup | None:
    """``reply``'s buttons as Telegram's inline keyboard (None when it has none)."""
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(b.text, callback_data=b.data) for b in row]
                                 for row in reply.buttons])


def draft_html(text: str) -> str | None:
    """The first message's worth of ``text`` as escaped plain text, "…" marking that more follows; None when
    there is nothing to show yet."""
    pieces = split_spans([plain(text)], MAX_TEXT_LENGTH - len(MORE))
    if not pieces:
        return None
    return to_html(pieces[0]) + (MORE if len(pieces) > 1 else "")


class StreamingDraft:
    """One answer's draft message in one chat; build it on the event loop, ``feed`` it from any thread."""

    def __init__(self, bot: Bot, chat_id: int, *, reply_to: int | None = None,
                 interval: float = EDIT_INTERVAL) -> None:
        self.bot, self.chat_id, self.reply_to, self.interval = bot, chat_id, reply_to, interval
        self._loop = asyncio.get_running_loop()
        self._text = ""
        self._shown: str | None = None
        self._message: Message | None = None
        self._wake = asyncio.Event()
        self._closed = asyncio.Event()
        self._editor = self._loop.create_task(self._edit_while_streaming())

    # ---- the worker thread's side ----
    def feed(self, text: str) -> None:
        """``on_text`` for ``Newsdesk.ask``: safe from any thread, dropped once the draft is finished (a model call
        given up on may still be streaming)."""
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is waiting for this draft
            self._loop.call_soon_threadsafe(self._append, text)

    def _append(self, text: str) -> None:
        if not self._closed.is_set():
            self._text += text
            self._wake.set()

    # ---- the event loop's side ----
    async def _edit_while_streaming(self) -> None:
        while not self._closed.is_set():
            await self._wake.wait()
            self._wake.clear()
            if self._closed.is_set():
                return
            await self._show()
            with contextlib.suppress(TimeoutError):  # the pause between edits, cut short by finish()
                await asyncio.wait_for(self._closed.wait(), self.interval)

    async def _show(self) -> None:
        html = draft_html(self._text)
        if html is None or html == self._shown:  # Telegram refuses an edit that changes nothing
            return
        try:
            if self._message is None:
                quoted = ReplyParameters(self.reply_to, allow_sending_without_reply=True) if self.reply_to else None
                self._message = await self.bot.send_message(self.chat_id, html, reply_parameters=quoted)
            else:
                await self._message.edit_text(html)
            self._shown = html
        except TelegramError as error:  # the draft is a courtesy: the checked reply still comes
            logger.warning("could not update the draft answer: %s", error)

    async def _stop(self) -> None:
        self._closed.set()
        self._wake.set()
        await self._editor  # lets a send in flight finish, so its message is known and can be replaced

    async def finish(self, reply: Reply) -> None:
        """Replace the draft with ``reply``: its first message edited in, the rest sent after it, the buttons under
        the last; without a draft, ``reply`` is sent as usual."""
        await self._stop()
        markup = reply_markup(reply)
        first, *rest = reply.messages
        edited = self._message is not None and await self._edit(first, markup if not rest else None)
        if not edited:
            rest = list(reply.messages)
        for i, text in enumerate(rest):
            quoted = ReplyParameters(self.reply_to, allow_sending_without_reply=True) if (
                self.reply_to and not edited and i == 0) else None
            await self.bot.send_message(self.chat_id, text, reply_parameters=quoted,
                                        reply_markup=markup if i == len(rest) - 1 else None)

    async def withdraw(self) -> None:
        """Stop, and replace a draft already shown with an apology (answering failed: the draft was never checked)."""
        await self._stop()
        if self._message is not None:
            with contextlib.suppress(TelegramError):  # the error that brought us here is the one to report
                await self._edit(WITHDRAWN, None)

    async def _edit(self, html: str, markup: InlineKeyboardMarkup | None) -> bool:
        assert self._message is not None
        try:
            await self._message.edit_text(html, reply_markup=markup)
        except BadRequest as error:
            if "not modified" in str(error).lower():
                return True
            logger.warning("could not turn the draft into the answer, sending it anew: %s", error)
            return False
        return True
