"""Follow-ups rewritten by the model through the real ChatOpenAI against the stand-in, with the keyword rule as
the fallback."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answering.condense import MAX_HISTORY, ModelRewriter
from bot.answering.followup import KeywordRewriter
from bot.answering.generative import LangChainClient
from bot.service import Newsdesk
from bot.settings import BotSettings
from tests.budget import time_budget
from tests.fake_llm import FakeLLMServer, Step

EARLIER = "What did Lavrov say about Kiev?"


def _rewriter(tmp_path: Path, fake: FakeLLMServer) -> ModelRewriter:
    settings = BotSettings(data_dir=tmp_path / "d", llm_provider="openai", llm_model="stand-in",
                           llm_base_url=f"{fake.base}/v1", llm_timeout=1.0, llm_max_retries=0)
    # The deadline leaves room for the first call's imports on a busy machine; the client's own timeout is 1 s.
    return ModelRewriter(LangChainClient(settings), timeout=15.0)


def test_the_model_rewrites_a_follow_up(tmp_path, fake_llm: FakeLLMServer) -> None:
    fake_llm.script = [Step('"What did Vladimir Putin say about Kiev?"\n')]
    history = [f"Question {i}?" for i in range(10)] + [EARLIER]
    with time_budget(20, "a rewrite"):
        assert _rewriter(tmp_path, fake_llm).rewrite("and what did Putin say?", history) == \
            "What did Vladimir Putin say about Kiev?"
    sent = fake_llm.requests[0].prompt
    assert EARLIER in sent and "and what did Putin say?" in sent
    assert "Question 0?" not in sent and sent.count("\n- ") == MAX_HISTORY  # bounded history


def test_no_history_no_call(tmp_path, fake_llm: FakeLLMServer) -> None:
    assert _rewriter(tmp_path, fake_llm).rewrite("What did Putin say?", []) == "What did Putin say?"
    assert fake_llm.requests == []


@pytest.mark.parametrize("step", [Step(status=500), Step(text=""), Step(delay=5.0),
                                  Step(text="What did Putin", finish="length")],
                         ids=["5xx", "empty", "timeout", "cut-off"])
def test_failure_falls_back_to_the_keyword_rule(tmp_path, fake_llm: FakeLLMServer, step: Step) -> None:
    fake_llm.script = [step]
    with time_budget(20, "a rewrite"):
        rewritten = _rewriter(tmp_path, fake_llm).rewrite("and what did Putin say?", [EARLIER])
    assert rewritten == KeywordRewriter().rewrite("and what did Putin say?", [EARLIER]) == \
        "What did Putin say about Kiev?"


def test_desk_picks_the_rewriter_from_the_settings(tmp_path, fake_llm: FakeLLMServer) -> None:
    plain = Newsdesk(BotSettings(data_dir=tmp_path / "a"))
    assert isinstance(plain.question_rewriter(), KeywordRewriter)
    model = Newsdesk(BotSettings(data_dir=tmp_path / "b", llm_provider="ollama", llm_model="stand-in",
                                 llm_base_url=fake_llm.base))
    fake_llm.script = [Step("What did Putin say about Kiev?")]
    rewriter = model.question_rewriter()
    assert isinstance(rewriter, ModelRewriter)
    assert rewriter.rewrite("and Putin?", [EARLIER]) == "What did Putin say about Kiev?"
    assert fake_llm.requests[0].path == "/api/chat"
