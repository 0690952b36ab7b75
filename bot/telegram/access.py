"""Who may use the Telegram bot, how often they may ask, and keeping the bot token out of the logs."""

from __future__ import annotations

import logging
import re
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

REDACTED = "<telegram-token>"
_MAX_TRACKED_USERS = 10_000


@dataclass(frozen=True, slots=True)
class AccessPolicy:
    """The allow-list: user ids and lower-case usernames (without @). Empty means everyone may use the bot."""

    user_ids: frozenset[int]
    usernames: frozenset[str]

    @classmethod
    def from_entries(cls, entries: Iterable[str]) -> AccessPolicy:
        """``["12345", "@Alice"]`` → ids {12345}, usernames {"alice"} (Telegram usernames ignore case)."""
        ids, names = set(), set()
        for entry in entries:
            if entry.isdigit():
                ids.add(int(entry))
            else:
                names.add(entry.removeprefix("@").lower())
        return cls(frozenset(ids), frozenset(names))

    @property
    def everyone(self) -> bool:
        return not self.user_ids and not self.usernames

    def allows(self, user_id: int, username: str | None) -> bool:
        if self.everyone or user_id in self.user_ids:
            return True
        return username is not None and username.lower() in self.usernames


class RefusalMemory:
    """Remembers whom the bot has refused, so each outsider gets one short refusal and then silence."""

    def __init__(self, size: int = _MAX_TRACKED_USERS) -> None:
        self._refused: OrderedDict[int, None] = OrderedDict()
        self._size = size

    def first_time(self, user_id: int) -> bool:
        """True the first time ``user_id`` is refused (within the most recent ``size`` users refused)."""
        if user_id in self._refused:
            self._refused.move_to_end(user_id)
            return False
        self._refused[user_id] = None
        if len(self._refused) > self._size:
            self._refused.popitem(last=False)
        return True


@dataclass(frozen=True, slots=True)
class RateDecision:
    """What to do with a question: answer it, or refuse it; only the first refusal of a window is said out loud."""

    allowed: bool
    wait: float = 0.0  # seconds until the user may ask again
    tell: bool = False


class QuestionRateLimit:
    """At most ``per_minute`` questions per user in any sliding 60-second window; 0 turns the limit off.

    A user over the limit is told once how long to wait, and further questions until then are dropped without a
    reply: one "please wait" per flooded message would itself flood Telegram's 30 messages/s, and every other
    chat's answers would queue behind those replies.
    """

    def __init__(self, per_minute: int, *, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._window = window
        self._clock = clock
        self._asked: dict[int, deque[float]] = {}
        self._told_until: dict[int, float] = {}

    def decide(self, user_id: int) -> RateDecision:
        """Count the question and allow it, or refuse it (``tell`` only for the first refusal until ``wait`` ends)."""
        wait = self.check(user_id)
        if not wait:
            return RateDecision(True)
        now = self._clock()
        if now < self._told_until.get(user_id, now):
            return RateDecision(False, wait)
        if len(self._told_until) > _MAX_TRACKED_USERS:  # forget users who may ask again
            self._told_until = {u: t for u, t in self._told_until.items() if now < t}
        self._told_until[user_id] = now + wait
        return RateDecision(False, wait, tell=True)

    def check(self, user_id: int) -> float:
        """0 and the question is counted, or the seconds to wait before the next one is allowed."""
        if self.per_minute <= 0:
            return 0.0
        now = self._clock()
        if len(self._asked) > _MAX_TRACKED_USERS:  # forget users whose whole window has passed
            self._asked = {u: q for u, q in self._asked.items() if q and now - q[-1] < self._window}
        asked = self._asked.setdefault(user_id, deque())
        while asked and now - asked[0] >= self._window:
            asked.popleft()
        if len(asked) >= self.per_minute:
            return self._window - (now - asked[0])
        asked.append(now)
        return 0.0


class TokenRedactor(logging.Filter):
    """Replaces the bot token in a record's message, arguments and traceback before any handler formats it.

    The token is part of every Bot API URL (``.../bot<token>/sendMessage``), so it can surface in a log line
    or in the text of an exception. It is matched whatever its case: PTB lower-cases most of an error's text
    (``BadRequest("Chat not found (… /bot123:aae…)")``). SEE: the PTB examples, which silence httpx's request
    log for the same reason: https://docs.python-telegram-bot.org/en/stable/examples.echobot.html
    """

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self._pattern = re.compile(re.escape(token), re.IGNORECASE)

    def redact(self, text: str) -> str:
        return self._pattern.sub(REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self._pattern.search(message):
            record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def protect_token(token: str) -> None:
    """Keep ``token`` out of the logs: httpx's request log (INFO, with the URL) is silenced, and every handler of
    the root logger gets a ``TokenRedactor``. Call it after logging is configured; calling it again is harmless."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, TokenRedactor) and f.token == token for f in handler.filters):
            handler.addFilter(TokenRedactor(token))
