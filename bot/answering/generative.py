"""The answerer that writes with a model: pack the passages, ask the model, check what it wrote, or fall back.

The model is reached through LangChain (``langchain-openai``'s ``ChatOpenAI`` for any OpenAI-compatible
endpoint, ``langchain-ollama``'s ``ChatOllama``), imported only when a provider is configured so the default,
offline path never loads them. Everything the model returns goes through ``bot.answering.checks`` before a
reader sees it. Any failure (endpoint down, timeout, 429, 5xx, an empty, malformed or cut-off reply) ends, after
bounded retries, in the extractive answer with a one-line notice: never a crash, never an unbounded wait.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from bot.answering.checks import check, evidence_text
from bot.answering.context import Context, pack
from bot.answering.labels import corroboration, outlet_label, republisher
from bot.errors import LLMUnavailable
from bot.settings import BotSettings
from bot.types import Answer, Citation
from ingest.outlets import OutletRegistry
from ingest.types import Passage

logger = logging.getLogger(__name__)

NOTICE_FAILED = "The model did not answer ({reason}); the answer below quotes the articles instead."
NOTICE_NOTHING_CITED = "The model's answer cited none of the passages it was given; the answer below quotes them."
NOTICE_DROPPED = "Removed {n} sentence(s) that cited passages that were not retrieved."
_RETRYABLE_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    finish_reason: str | None


class ChatClient(Protocol):
    """What the answerer needs from a model: one completion for a system and a user prompt."""

    model: str

    def complete(self, system: str, prompt: str, *, on_text: Callable[[str], None] | None = None) -> Reply: ...


class _Failure(Exception):
    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason, self.retryable = reason, retryable


def _describe(error: BaseException) -> _Failure:
    """A short, key-free reason for ``error`` and whether trying again may help."""
    status = getattr(error, "status_code", None) or getattr(getattr(error, "response", None), "status_code", None)
    if isinstance(status, int) and status >= 400:  # a 200 whose body would not parse is a malformed reply
        return _Failure(f"HTTP {status}", retryable=status in _RETRYABLE_STATUS)
    name = type(error).__name__
    if "Timeout" in name or isinstance(error, TimeoutError):
        return _Failure("timed out", retryable=True)
    if "Connect" in name or isinstance(error, ConnectionError):
        return _Failure("endpoint unreachable", retryable=True)
    return _Failure(f"unusable reply ({name})", retryable=False)


def describe_failure(error: BaseException) -> str:
    """Why a model call failed, in a few words that never include the request (so never the API key)."""
    return _describe(error).reason


class LangChainClient:
    """A LangChain chat model behind ``ChatClient``; the first call builds it."""

    def __init__(self, settings: BotSettings) -> None:
        if settings.llm_provider == "none" or not settings.llm_model:
            raise LLMUnavailable("no model configured: set NEWSDESK_LLM_PROVIDER and NEWSDESK_LLM_MODEL")
        self.settings = settings
        self.model = settings.llm_model
        self._chat: Any = None

    def _build(self) -> Any:
        s = self.settings
        if s.llm_provider == "openai":
            from langchain_openai import ChatOpenAI  # lazy: only a configured provider pays for the import

            key = s.llm_api_key.get_secret_value() if s.llm_api_key else "none"
            return ChatOpenAI(model=s.llm_model, base_url=s.llm_base_url, api_key=key, timeout=s.llm_timeout,
                              max_retries=0, max_tokens=s.llm_answer_tokens, temperature=s.llm_temperature)
        from langchain_ollama import ChatOllama

        extra = {"base_url": s.llm_base_url} if s.llm_base_url else {}
        return ChatOllama(model=s.llm_model, num_predict=s.llm_answer_tokens, temperature=s.llm_temperature,
                          client_kwargs={"timeout": s.llm_timeout}, **extra)

    def complete(self, system: str, prompt: str, *, on_text: Callable[[str], None] | None = None) -> Reply:
        from langchain_core.messages import HumanMessage, SystemMessage

        if self._chat is None:
            self._chat = self._build()
        messages = [SystemMessage(system), HumanMessage(prompt)]
        if on_text is None:
            message = self._chat.invoke(messages)
            meta = message.response_metadata or {}
            return Reply(str(message.content), meta.get("finish_reason") or meta.get("done_reason"))
        parts: list[str] = []
        finish = None
        for chunk in self._chat.stream(messages):
            text = str(chunk.content)
            if text:
                parts.append(text)
                on_text(text)
            meta = chunk.response_metadata or {}
            finish = meta.get("finish_reason") or meta.get("done_reason") or finish
        return Reply("".join(parts), finish)


def within_deadline(seconds: float, fn: Callable[[], Reply]) -> Reply:
    """``fn()`` in a daemon thread, given up on after ``seconds``: a server that trickles bytes forever
    defeats per-read timeouts, and the reader must still get an answer."""
    box: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=1)

    def run() -> None:
        try:
            box.put((True, fn()))
        except BaseException as error:  # handed to the caller's thread, re-raised there
            box.put((False, error))

    threading.Thread(target=run, daemon=True, name="newsdesk-llm").start()
    try:
        ok, value = box.get(timeout=seconds)
    except queue.Empty:
        raise TimeoutError(f"no complete reply within {seconds:.0f} s") from None
    if not ok:
        raise value
    return value


@dataclass
class GenerativeAnswerer:
    """Writes answers with ``client`` from passages packed into ``context_tokens``; falls back to quoting."""

    client: ChatClient
    registry: OutletRegistry
    context_tokens: int
    timeout: float
    max_retries: int
    backoff: float = 0.5
    sleep: Callable[[float], None] = field(default=time.sleep)
    #: The user prompt file: ``answer`` (prose with citations) or ``short_answer`` (the eval's one-entity style).
    prompt_name: str = "answer"

    @classmethod
    def from_settings(cls, settings: BotSettings, registry: OutletRegistry) -> GenerativeAnswerer:
        return cls(LangChainClient(settings), registry, settings.llm_context_tokens, settings.llm_timeout,
                   settings.llm_max_retries)

    def _call(self, context: Context, on_text: Callable[[str], None] | None) -> Reply:
        attempt = 0
        while True:
            try:
                reply = within_deadline(self.timeout * 1.5 + 1, lambda: self.client.complete(
                    context.system, context.prompt, on_text=on_text))
            except Exception as error:
                failure = _describe(error)
                logger.warning("model call failed (attempt %d): %s", attempt + 1, failure.reason)
                if not failure.retryable or attempt >= self.max_retries:
                    raise failure from None
                self.sleep(min(self.backoff * 2**attempt, 8.0))
                attempt += 1
                continue
            if reply.finish_reason == "length":
                raise _Failure("reply cut off at the token limit", retryable=False)
            if not reply.text.strip():
                raise _Failure("empty reply", retryable=False)
            return reply

    def answer(self, question: str, passages: list[Passage], fallback: Answer, *,
               on_text: Callable[[str], None] | None = None) -> Answer:
        """A checked, model-written answer to ``question`` from ``passages``, or ``fallback`` with a notice.

        ``fallback`` is the extractive answer; when it abstains (nothing relevant, an outlet or name the
        collection lacks) the model is not called at all. ``on_text`` receives the raw text as it streams.
        """
        if fallback.abstained or not passages:
            return fallback
        context = pack(question, passages, self.registry, budget=self.context_tokens, prompt_name=self.prompt_name)
        if not context.passages:
            return fallback
        try:
            reply = self._call(context, on_text)
        except _Failure as failure:
            return replace(fallback, notice=NOTICE_FAILED.format(reason=failure.reason))
        labels = [outlet_label(p.original, self.registry) for p in context.passages]
        evidence = [evidence_text(p.text, p.title, label.name, p.published_at)
                    for p, label in zip(context.passages, labels, strict=True)]
        checked = check(reply.text, evidence)
        if not checked.cited:
            return replace(fallback, notice=NOTICE_NOTHING_CITED)
        citations = tuple(
            Citation(n=n, quote=context.passages[i].text, article_id=context.passages[i].article_id,
                     chunk_id=context.passages[i].chunk_id, title=context.passages[i].title,
                     url=context.passages[i].url, published_at=context.passages[i].published_at, outlet=labels[i],
                     republished_by=republisher(context.passages[i], labels[i], self.registry),
                     start=context.passages[i].start, end=context.passages[i].end)
            for n, i in enumerate(checked.cited, start=1)
        )
        notice = NOTICE_DROPPED.format(n=len(checked.dropped)) if checked.dropped else None
        return Answer(question=question, answer=checked.text, abstained=False, citations=citations,
                      corroboration=corroboration(citations), answerer=f"llm:{self.client.model}", notice=notice,
                      checks=checked.checks)
