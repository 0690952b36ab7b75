"""The answerer that writes with a model, driven through the real ChatOpenAI / ChatOllama against stand-ins on
127.0.0.1 (tests/fake_llm.py): citations checked, failures fall back to quotes, the key never leaks."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.answering.context import count_tokens
from bot.answering.extractive import answer as quote
from bot.answering.generative import NOTICE_NOTHING_CITED, GenerativeAnswerer
from bot.settings import BotSettings
from ingest.outlets import OutletRegistry
from ingest.types import OutletRef, Passage
from tests.budget import time_budget
from tests.fake_llm import FakeLLMServer, Step

KEY = "sk-test-5ecret-never-shown"
GAZETTE = OutletRef("harbourgazette.example", "harbourgazette.example")
RT = OutletRef("rt.com", "rt.com")
TEXTS = [
    "The council approved the flood barrier by seven votes to six on Tuesday. Mayor Helena Vasquez-Reid said "
    "\u201cthe city cannot afford another flood\u201d.",
    "The barrier will cost $312 million over six years, the council's finance office said.",
    "Opponents of the flood barrier said the vote was rushed and promised to challenge it in court.",
]


def _passages(texts: list[str] = TEXTS) -> list[Passage]:
    return [Passage(chunk_id=f"c-{i}", article_id=f"a-{i}", text=t, start=0, end=len(t),
                    title=f"Council backs barrier ({i})", url=f"https://host.example/{i}",
                    published_at="2026-10-22T09:00:00Z", publisher=GAZETTE, original=RT if i == 2 else GAZETTE,
                    score=0.8 - i / 10) for i, t in enumerate(texts)]


@pytest.fixture(scope="module")
def registry() -> OutletRegistry:
    return OutletRegistry.bundled()


def _settings(tmp_path: Path, fake: FakeLLMServer, provider: str = "openai", **extra: object) -> BotSettings:
    base_url = f"{fake.base}/v1" if provider == "openai" else fake.base
    values: dict[str, object] = {"data_dir": tmp_path / "data", "llm_provider": provider, "llm_model": "stand-in",
                                 "llm_base_url": base_url, "llm_api_key": KEY, "llm_timeout": 5.0,
                                 "llm_max_retries": 1}
    values.update(extra)
    return BotSettings(**values)  # type: ignore[arg-type]


def _ask(settings: BotSettings, registry: OutletRegistry, question: str = "How did the council vote on the barrier?",
         passages: list[Passage] | None = None, **kw: object):
    passages = _passages() if passages is None else passages
    answerer = GenerativeAnswerer.from_settings(settings, registry)
    answerer.backoff = 0.05
    fallback = quote(question, passages, registry, min_relevance=0.3)
    with time_budget(20, "one answer"):
        return answerer.answer(question, passages, fallback, **kw)


@pytest.mark.parametrize("provider", ["openai", "ollama"])
@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_correct_citations_are_kept(tmp_path, fake_llm: FakeLLMServer, registry, provider: str, stream: bool) -> None:
    fake_llm.script = [Step("The council approved the barrier by seven votes to six [1]. It will cost $312 million "
                            "[2].")]
    pieces: list[str] = []
    result = _ask(_settings(tmp_path, fake_llm, provider), registry, on_text=pieces.append if stream else None)
    assert result.answerer == "llm:stand-in" and result.notice is None, result
    assert result.answer == "The council approved the barrier by seven votes to six [1]. It will cost $312 million [2]."
    assert [c.n for c in result.citations] == [1, 2] and result.citations[1].quote == TEXTS[1]
    assert all(check.unsupported == () for check in result.checks)
    assert len(fake_llm.requests) == 1 and fake_llm.requests[0].body["model"] == "stand-in"
    if stream:
        assert len(pieces) > 1 and "".join(pieces).startswith("The council approved")


def test_invented_citation_and_its_sentence_are_dropped(tmp_path, fake_llm: FakeLLMServer, registry) -> None:
    fake_llm.script = [Step("The council approved the barrier [1]. Putin welcomed the vote [7]. "
                            "Opponents will go to court [3][9].")]
    result = _ask(_settings(tmp_path, fake_llm), registry)
    assert result.answer == "The council approved the barrier [1]. Opponents will go to court [2].", result.answer
    assert "Putin" not in result.answer and "[7]" not in result.answer and "[9]" not in result.answer
    assert [c.article_id for c in result.citations] == ["a-0", "a-2"]  # renumbered in order of citation
    assert result.notice == "Removed 1 sentence(s) that cited passages that were not retrieved."


def test_misquotation_and_invented_figures_are_marked(tmp_path, fake_llm: FakeLLMServer, registry) -> None:
    fake_llm.script = [Step('The mayor said "the city can easily afford another flood" [1]. The barrier will cost '
                            "$400 million [2]. Mayor Vasquez-Reid said "
                            "\u201cthe city cannot afford another flood\u201d [1].")]
    result = _ask(_settings(tmp_path, fake_llm), registry)
    first, second, third = result.checks
    assert first.unsupported == ("quotation “the city can easily afford another flood”",)
    assert "[unverified: quotation" in first.sentence
    assert second.unsupported == ("400",) and third.unsupported == ()
    assert result.answerer == "llm:stand-in"


def test_answer_citing_nothing_valid_falls_back_to_quotes(tmp_path, fake_llm: FakeLLMServer, registry) -> None:
    fake_llm.script = [Step("The barrier was approved [4]. Everyone agreed.")]
    result = _ask(_settings(tmp_path, fake_llm), registry)
    assert result.answerer == "extractive" and result.notice == NOTICE_NOTHING_CITED
    assert result.citations and all(c.quote in "".join(TEXTS) for c in result.citations)


@pytest.mark.parametrize(
    ("steps", "reason", "calls"),
    [
        pytest.param([Step(status=429), Step(status=429)], "HTTP 429", 2, id="429"),
        pytest.param([Step(status=503), Step(status=500)], "HTTP 500", 2, id="5xx"),
        pytest.param([Step(delay=3.0), Step(delay=3.0)], "timed out", 2, id="timeout"),
        pytest.param([Step(raw=b"{not json")], "unusable reply", 1, id="malformed"),
        pytest.param([Step(text="")], "empty reply", 1, id="empty"),
        pytest.param([Step(text="The council approved the barrier by seven", finish="length")],
                     "reply cut off at the token limit", 1, id="cut-off"),
        pytest.param([Step(status=400)], "HTTP 400", 1, id="400-not-retried"),
    ],
)
def test_failures_fall_back_to_quotes_after_bounded_retries(tmp_path, fake_llm: FakeLLMServer, registry,
                                                            steps: list[Step], reason: str, calls: int) -> None:
    fake_llm.script = list(steps)
    result = _ask(_settings(tmp_path, fake_llm, llm_timeout=0.5), registry)
    assert result.answerer == "extractive" and not result.abstained and result.citations
    assert result.notice is not None and f"({reason}" in result.notice, result.notice
    assert len(fake_llm.requests) == calls


def test_retry_after_429_succeeds(tmp_path, fake_llm: FakeLLMServer, registry) -> None:
    fake_llm.script = [Step(status=429), Step("The council approved the barrier [1].")]
    result = _ask(_settings(tmp_path, fake_llm), registry)
    assert result.answerer == "llm:stand-in" and result.answer == "The council approved the barrier [1]."
    assert len(fake_llm.requests) == 2


def test_endpoint_down_falls_back(tmp_path, fake_llm: FakeLLMServer, registry) -> None:
    settings = _settings(tmp_path, fake_llm)
    fake_llm.stopping.set()
    fake_llm.server.shutdown()
    fake_llm.server.server_close()
    result = _ask(settings, registry)
    assert result.answerer == "extractive" and result.notice is not None and "unreachable" in result.notice


@pytest.mark.parametrize("budget", [512, 700, 3000])
def test_prompt_fits_the_token_budget(tmp_path, fake_llm: FakeLLMServer, registry, budget: int) -> None:
    long_texts = [(t + " ") * 12 for t in TEXTS]
    _ask(_settings(tmp_path, fake_llm, llm_context_tokens=budget), registry, passages=_passages(long_texts))
    sent = fake_llm.requests[0].body["messages"]
    assert [m["role"] for m in sent] == ["system", "user"]
    used = sum(count_tokens(m["content"]) for m in sent)
    assert used <= budget, f"{used} tokens sent for a budget of {budget}"
    assert "[1] " in sent[1]["content"]


@pytest.mark.parametrize("provider", ["openai", "ollama"])
def test_api_key_is_a_bearer_header_and_never_shown(tmp_path, fake_llm: FakeLLMServer, registry, provider,
                                                    caplog, capsys) -> None:
    caplog.set_level(logging.DEBUG)
    fake_llm.script = [Step(status=500), Step(status=500)]
    settings = _settings(tmp_path, fake_llm, provider)
    result = _ask(settings, registry)
    if provider == "openai":
        assert fake_llm.requests[0].headers["authorization"] == f"Bearer {KEY}"
    shown = capsys.readouterr()
    everything = "\n".join([caplog.text, shown.out, shown.err, repr(result), repr(settings),
                            str(settings.model_dump())])
    assert KEY not in everything


def test_logs_at_debug_never_carry_the_key(tmp_path, fake_llm: FakeLLMServer, registry, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    fake_llm.script = [Step("The council approved the barrier [1].")]
    _ask(_settings(tmp_path, fake_llm), registry)
    assert caplog.records, "DEBUG logging of the HTTP clients was expected to record something"
    assert KEY not in caplog.text and all(KEY not in repr(r.__dict__) for r in caplog.records)
