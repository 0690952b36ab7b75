"""Follow-ups rewritten into standalone questions by the model (``prompts/condense.md``).

Same protocol as ``KeywordRewriter`` (``bot.answering.followup``), which stays the fallback: with no earlier
question the model is not asked, and when it fails, answers nothing usable or takes too long, the keyword rule
decides. The history sent is bounded (the last ``MAX_HISTORY`` questions, each cut to ``MAX_CHARS``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.answering.followup import KeywordRewriter, QuestionRewriter
from bot.answering.generative import ChatClient, describe_failure, within_deadline
from bot.answering.prompts import load

logger = logging.getLogger(__name__)

MAX_HISTORY = 6
MAX_CHARS = 300
SYSTEM = "You rewrite follow-up questions into standalone questions. Reply with one question and nothing else."


class ModelRewriter:
    """A ``QuestionRewriter`` that asks the model, falling back to ``fallback`` (the keyword rule)."""

    def __init__(self, client: ChatClient, *, timeout: float, fallback: QuestionRewriter | None = None) -> None:
        self.client, self.timeout = client, timeout
        self.fallback = fallback or KeywordRewriter()

    def rewrite(self, question: str, history: Sequence[str]) -> str:
        if not history:
            return self.fallback.rewrite(question, history)
        earlier = "\n".join(f"- {q[:MAX_CHARS]}" for q in history[-MAX_HISTORY:])
        prompt = load("condense", history=earlier, question=question[:MAX_CHARS])
        try:
            reply = within_deadline(self.timeout, lambda: self.client.complete(SYSTEM, prompt))
        except Exception as error:
            logger.warning("follow-up not rewritten by the model: %s", describe_failure(error))
            return self.fallback.rewrite(question, history)
        lines = [line.strip().strip('"“”') for line in reply.text.strip().splitlines() if line.strip()]
        if not lines or len(lines[0]) > 2 * MAX_CHARS or reply.finish_reason == "length":
            return self.fallback.rewrite(question, history)
        return lines[0]
