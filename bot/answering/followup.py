"""Follow-up questions, rewritten into standalone ones before retrieval.

"and what did Putin say?" retrieves nothing useful on its own: the topic is in the question before it.
Adapters keep a chat's recent (already standalone) questions and pass them to a ``QuestionRewriter``;
``KeywordRewriter`` is a simple, deterministic rule, and a language model can implement the same protocol
later without touching the adapters.

The rule, in full:

1. With no earlier question, or when the question stands on its own, it is returned as asked
   (whitespace collapsed).
2. A question is a follow-up when it opens with a connective ("and", "but", "also", "so", "then", "what about",
   "how about"), or has at most one content word ("Why?", "What did the traders say?"), or has at most three
   and refers back with a pronoun ("What did she say about it?").
3. A follow-up loses its connective. If it asks what someone else said (or thought, wanted, …) and nothing
   more, and the previous question had the same shape, the new speaker takes the old one's place in the
   previous question: after "What did Lavrov say about Kiev?", "and what did Putin say?" becomes
   "What did Putin say about Kiev?".
4. Any other follow-up gets the topic of the previous question appended: that question's content words
   (stopwords dropped, original case, in order, at most ``MAX_TOPIC_WORDS``) that the follow-up does not
   already contain. After "What did Dolores Kettering say about the ferry crews' working hours?", "Why?"
   becomes "Why (context: Dolores Kettering ferry crews working hours)?". Because the previous question was itself
   standalone, a chain of follow-ups keeps its topic.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from bot.answering.text import STOPWORDS

MAX_TOPIC_WORDS = 10
_CONNECTIVE = re.compile(r"^\s*(?:(?:and|but|also|so|then|plus)(?:[\s,]+|$))?(?:(?:what|how)\s+about\b\s*)?", re.I)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_ANAPHORA = frozenset("he she they him her them his hers their theirs it its this that these those there".split())
_QUESTION_WORDS = frozenset("what who whom whose which when where why how context".split())
# "<wh-word> <auxiliary> <speaker> <speech or stance verb> <rest>", e.g. "What did | the mayor | say | about …?"
_SPEAKER_FRAME = re.compile(
    r"^(?P<frame>(?:what|how|why|when|who)\s+(?:did|does|do|has|have|had|will|would|could|can|should)\s+"
    r"(?P<speaker>.+?)\s+(?:say|said|think|want|propose|claim|announce|plan|tell|warn|argue|suggest|expect|demand|"
    r"decide|respond|react|mean|call|do))\b(?P<rest>.*)$",
    re.I,
)


class QuestionRewriter(Protocol):
    """Turns a chat's latest question into one that can be answered without the chat."""

    def rewrite(self, question: str, history: Sequence[str]) -> str:
        """The standalone form of ``question``; ``history`` holds earlier standalone questions, oldest first."""
        ...


def _content_words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text) if w.lower() not in STOPWORDS and w.lower() not in _QUESTION_WORDS
            and len(w) > 1]


def is_follow_up(question: str) -> bool:
    """Rule 2 of the module docstring."""
    words = [w.lower() for w in _WORD.findall(question)]
    connective = _CONNECTIVE.match(question)
    if connective and connective.group(0).strip():
        return True
    content = len(_content_words(question))
    return content <= 1 or (content <= 3 and any(w in _ANAPHORA for w in words))


class KeywordRewriter:
    """The rule of the module docstring: no model, deterministic, instant."""

    def rewrite(self, question: str, history: Sequence[str]) -> str:
        asked = " ".join(question.split())
        if not history or not is_follow_up(asked):
            return asked
        core = _CONNECTIVE.sub("", asked, count=1).strip(" ,") or asked
        core = core[0].upper() + core[1:]
        follow, previous = _SPEAKER_FRAME.match(core), _SPEAKER_FRAME.match(history[-1])
        if follow and previous and not follow["rest"].strip(" ?.!") and previous["rest"].strip(" ?.!"):
            return follow["frame"] + previous["rest"]
        have = {w.lower() for w in _WORD.findall(core)}
        topic: list[str] = []
        for word in _content_words(history[-1]):
            if word.lower() not in have and word.lower() not in {t.lower() for t in topic}:
                topic.append(word)
        if not topic:
            return core
        mark = "?" if core.endswith("?") or asked.endswith("?") else ""
        return f"{core.rstrip('?').rstrip()} (context: {' '.join(topic[:MAX_TOPIC_WORDS])}){mark}"
