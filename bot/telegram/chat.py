"""What the Telegram bot remembers about one chat: its recent questions and its recent answers, both bounded.

Answers are kept so that the "Passage n" and "More sources" buttons under a reply can still be served a few
questions later. A button's callback data names the answer by a random key (not a counter), so a button
left over from before a restart can never open a different answer: it finds nothing and says so.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections import OrderedDict, deque
from dataclasses import dataclass

from bot.types import Answer, Citation

HISTORY_SIZE = 5
ANSWERS_KEPT = 20
#: Telegram's limit on ``callback_data`` (``telegram.constants.InlineKeyboardButtonLimit``).
MAX_CALLBACK_BYTES = 64
PASSAGE, MORE = "p", "m"
_CALLBACK = re.compile(r"(?P<kind>[pm]):(?P<key>[A-Za-z0-9_-]{1,16})(?::(?P<n>\d{1,3}))?")


@dataclass(frozen=True, slots=True)
class PassageView:
    """A quoted sentence with the paragraph around it, as the "Passage n" button shows it."""

    citation: Citation
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class AnsweredQuestion:
    """An answer as the chat saw it: ``standalone`` is what was retrieved for (a follow-up, rewritten)."""

    asked: str
    standalone: str
    answer: Answer
    passages: tuple[PassageView, ...]

    def passage(self, n: int) -> PassageView | None:
        return next((view for view in self.passages if view.citation.n == n), None)


@dataclass(frozen=True, slots=True)
class ButtonPress:
    """Parsed callback data: ``p:<key>:<n>`` opens passage n, ``m:<key>`` lists the sources that did not fit."""

    kind: str
    key: str
    n: int | None = None

    @property
    def data(self) -> str:
        text = f"{self.kind}:{self.key}" + (f":{self.n}" if self.n is not None else "")
        assert len(text.encode()) <= MAX_CALLBACK_BYTES, text
        return text

    @classmethod
    def parse(cls, data: str | None) -> ButtonPress | None:
        match = _CALLBACK.fullmatch(data or "")
        if match is None or (match["kind"] == PASSAGE) != (match["n"] is not None):
            return None
        return cls(match["kind"], match["key"], int(match["n"]) if match["n"] else None)


def passage_view(citation: Citation, body: str | None) -> PassageView:
    """The paragraphs of ``body`` that hold the quote (articles keep one paragraph per line); the quote alone when
    the body is unavailable or no longer holds it at the cited offsets."""
    if body is None or body[citation.start : citation.end] != citation.quote:
        return PassageView(citation, "", "")
    first = body.rfind("\n", 0, citation.start) + 1
    last = body.find("\n", citation.end)
    last = len(body) if last == -1 else last
    return PassageView(citation, body[first : citation.start], body[citation.end : last])


class ChatState:
    """One chat's recent questions (for follow-ups) and answers (for buttons); a lock keeps its answers in order."""

    def __init__(self, *, history_size: int = HISTORY_SIZE, answers_kept: int = ANSWERS_KEPT) -> None:
        self.history: deque[str] = deque(maxlen=history_size)
        self.lock = asyncio.Lock()
        self._answers: OrderedDict[str, AnsweredQuestion] = OrderedDict()
        self._answers_kept = answers_kept

    def keep(self, answered: AnsweredQuestion) -> str:
        """Remember ``answered`` (forgetting the oldest beyond the bound) and return its key for buttons."""
        self.history.append(answered.standalone)
        key = secrets.token_urlsafe(6)  # 8 characters; a collision would only replace an old answer
        self._answers[key] = answered
        while len(self._answers) > self._answers_kept:
            self._answers.popitem(last=False)
        return key

    def find(self, key: str) -> AnsweredQuestion | None:
        return self._answers.get(key)
