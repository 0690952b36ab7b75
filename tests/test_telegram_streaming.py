"""A model's answer streams into Telegram as a draft message, edited as it grows, then edited into the checked reply.

Over real HTTP on both sides: PTB against the fake Bot API, and the real ``ChatOpenAI`` against the OpenAI stand-in,
which streams its reply in timed pieces (#12 item 1).
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import Application

from bot.answering.generative import NOTICE_FAILED
from bot.service import Newsdesk
from bot.settings import BotSettings
from bot.telegram.app import build_application
from bot.telegram.draft import MORE, draft_html
from bot.telegram.html import MAX_TEXT_LENGTH
from ingest.embedder import MiniLMEmbeddings
from tests.budget import time_budget
from tests.conftest import SAMPLES
from tests.fake_bot_api import TOKEN, Call, FakeBotApiServer
from tests.fake_llm import FakeLLMServer, Step
from tests.telegram_html_check import utf16_units
from tests.telegram_running import running

CHAT = 5150
QUESTION = "What did Dolores Kettering say about the ferry crews' working hours?"
SENTENCE = ("Union secretary Dolores Kettering said deckhands are working fourteen-hour shifts with a single meal "
            "break [1]. ")
ANSWER = SENTENCE + "She said the dispute was about safety as much as money [1]."


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory, embeddings: MiniLMEmbeddings) -> Path:
    data = tmp_path_factory.mktemp("telegram-streaming") / "data"
    desk = Newsdesk(BotSettings(_env_file=None, data_dir=data), embeddings=embeddings)
    assert not desk.ingest([SAMPLES / "01-harbour-ferry-strike.txt"]).failed
    return data


def _app(data: Path, embeddings: MiniLMEmbeddings, api: FakeBotApiServer, llm: FakeLLMServer | None) -> Application:
    model: dict[str, Any] = {} if llm is None else {
        "llm_provider": "openai", "llm_model": "stand-in", "llm_base_url": f"{llm.base}/v1", "llm_api_key": "sk-x",
        "llm_timeout": 10, "llm_max_retries": 0}
    settings = BotSettings(_env_file=None, data_dir=data, telegram_token=TOKEN, **model)
    return build_application(settings, Newsdesk(settings, embeddings=embeddings), base_url=api.base_url)




async def _ask(api: FakeBotApiServer, app: Application, *, replies: int = 1) -> list[Call]:
    """Ask QUESTION and wait until the answer's buttons are shown; the calls that sent or edited messages."""
    def answered(fake: Any) -> bool:
        sent = fake.sent(CHAT)
        return len(sent) >= replies and "reply_markup" in sent[-1]

    with time_budget(40, "a streamed answer"):
        async with running(app):
            await api.push(api.fake.message_update(CHAT, QUESTION))
            await api.wait_for(answered, timeout=30)
    return [c for c in api.fake.calls if c.method in ("sendMessage", "editMessageText")]


def _buttons(call: Call) -> list[str]:
    return [b["text"] for row in (call.params.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


async def test_the_reply_grows_at_most_once_a_second_and_ends_as_the_checked_answer(
    api: FakeBotApiServer, fake_llm: FakeLLMServer, data_dir: Path, embeddings: MiniLMEmbeddings
) -> None:
    fake_llm.script = [Step(ANSWER, pieces=12, gap=0.3)]  # about 3.3 s of streaming
    calls = await _ask(api, _app(data_dir, embeddings, api, fake_llm))
    draft, *edits = calls
    assert draft.method == "sendMessage" and edits and {c.method for c in edits} == {"editMessageText"}, calls
    question_id = max(m["message_id"] for m in api.fake.messages.values() if not m["from"]["is_bot"])
    assert draft.params["reply_parameters"]["message_id"] == question_id, "the draft replies to the question"
    assert ANSWER.startswith(api.fake.messages[int(edits[0].params["message_id"])]["text"][:20])
    growing, final = [draft, *edits[:-1]], edits[-1]
    assert len(growing) >= 3, "the draft was edited as the answer grew"
    shown = [api.fake.calls.index(c) for c in growing]
    assert shown == sorted(shown)
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(growing)]
    assert min(gaps) >= 0.9, f"edits came faster than about once a second: {gaps}"
    elapsed = final.at - draft.at
    assert len(edits) <= elapsed + 2, f"{len(edits)} edits in {elapsed:.1f} s"
    assert all("reply_markup" not in c.params for c in growing), "no buttons until the answer is checked"
    [message] = api.fake.sent(CHAT)
    assert message["message_id"] == int(final.params["message_id"]), "one message: the draft became the answer"
    assert message["text"].startswith("Union secretary Dolores Kettering said deckhands")
    assert "Sources\n[1] The Harbour Gazette (harbourgazette.example) · commercial" in message["text"]
    assert _buttons(final) == ["Passage 1"]


async def test_a_model_failing_mid_stream_ends_in_the_quotes_with_the_notice(
    api: FakeBotApiServer, fake_llm: FakeLLMServer, data_dir: Path, embeddings: MiniLMEmbeddings
) -> None:
    fake_llm.script = [Step(ANSWER, pieces=10, gap=0.3, cut_after=6)]
    calls = await _ask(api, _app(data_dir, embeddings, api, fake_llm))
    assert calls[0].method == "sendMessage" and calls[-1].method == "editMessageText", "a draft was shown first"
    [message] = api.fake.sent(CHAT)
    notice = NOTICE_FAILED.split("{reason}")[0]
    assert message["text"].startswith(notice), message["text"]
    assert "Dolores Kettering" in message["text"] and "fourteen-hour shifts" in message["text"]
    assert "Union secretary Dolores Kettering said deckhands are working" not in message["text"], "the draft is gone"
    assert "Passage 1" in _buttons(calls[-1])
    assert len(fake_llm.requests) == 1


async def test_a_long_answer_keeps_the_draft_to_one_message_and_sends_the_rest_after_it(
    api: FakeBotApiServer, fake_llm: FakeLLMServer, data_dir: Path, embeddings: MiniLMEmbeddings
) -> None:
    long_answer = SENTENCE * 60  # about 6,500 characters, checked sentence by sentence
    fake_llm.script = [Step(long_answer, pieces=6, gap=0.3)]
    calls = await _ask(api, _app(data_dir, embeddings, api, fake_llm), replies=2)
    edits = [c for c in calls if c.method == "editMessageText"]
    assert len(edits) >= 2, "a draft was shown and edited"
    draft_id, drafts = int(edits[0].params["message_id"]), edits[:-1]
    assert any(c.params["text"].endswith(MORE) for c in drafts), "a draft over one message says more follows"
    assert all(utf16_units(c.params["text"]) <= MAX_TEXT_LENGTH for c in calls)
    first, *rest = api.fake.sent(CHAT)
    assert first["message_id"] == draft_id and rest, "the first part replaced the draft, the rest came after it"
    assert first["text"].startswith("Union secretary") and "reply_markup" not in first
    assert "Sources" in rest[-1]["text"] and "reply_markup" in rest[-1]


async def test_without_a_model_there_is_no_draft(
    api: FakeBotApiServer, data_dir: Path, embeddings: MiniLMEmbeddings
) -> None:
    calls = await _ask(api, _app(data_dir, embeddings, api, None))
    assert [c.method for c in calls] == ["sendMessage"], "the quoted answer is sent once, never edited"
    assert "Passage 1" in _buttons(calls[0])


async def test_no_draft_when_retrieval_abstains_and_the_model_is_not_called(
    api: FakeBotApiServer, fake_llm: FakeLLMServer, data_dir: Path, embeddings: MiniLMEmbeddings
) -> None:
    with time_budget(40, "an abstention"):
        async with running(_app(data_dir, embeddings, api, fake_llm)):
            await api.push(api.fake.message_update(CHAT, "What is the best recipe for banana bread?"))
            await api.wait_for(lambda f: len(f.sent(CHAT)) == 1, timeout=30)
    calls = [c for c in api.fake.calls if c.method in ("sendMessage", "editMessageText")]
    assert [c.method for c in calls] == ["sendMessage"] and "reply_parameters" in calls[0].params
    assert fake_llm.requests == []


@pytest.mark.parametrize("text", ["", "   \n"])
def test_nothing_to_show_sends_no_draft(text: str) -> None:
    assert draft_html(text) is None


def test_the_draft_is_escaped_plain_text_within_one_message() -> None:
    assert draft_html("Fees <b>rise</b> & fall [1]") == "Fees &lt;b&gt;rise&lt;/b&gt; &amp; fall [1]"
    long = draft_html("word " * 2000)
    assert long is not None and long.endswith(MORE) and len(long) <= MAX_TEXT_LENGTH
