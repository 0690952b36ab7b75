"""``/research`` in Telegram, over HTTP: PTB's real transport uploads the brief to the fake Bot API on 127.0.0.1
(sendDocument as multipart/form-data), after a short summary message."""

from __future__ import annotations

import contextlib

import pytest
from telegram import Update
from telegram.ext import Application

from bot.service import Newsdesk
from bot.settings import BotSettings
from bot.telegram.app import build_application
from bot.telegram.research import RESEARCH_USAGE, file_name
from ingest.embedder import MiniLMEmbeddings
from tests.conftest import SAMPLES
from tests.fake_bot_api import TOKEN, FakeBotApiServer, FakeTelegram, StubRequest
from tests.telegram_running import running

CHAT = 5150
BARRIER = "What did the mayor say about the cost of the flood barrier?"


@pytest.fixture(scope="module")
def sample_desk(tmp_path_factory: pytest.TempPathFactory, embeddings: MiniLMEmbeddings) -> Newsdesk:
    desk = Newsdesk(BotSettings(_env_file=None, data_dir=tmp_path_factory.mktemp("research-telegram") / "data"),
                    embeddings=embeddings)
    assert not desk.ingest([SAMPLES / "02-flood-barrier-council-vote.txt",
                            SAMPLES / "03-flood-barrier-council-vote-gazette.txt"]).failed
    return desk


def _polling(desk: Newsdesk, api: FakeBotApiServer) -> contextlib.AbstractAsyncContextManager[Application]:
    settings = BotSettings(_env_file=None, data_dir=desk.settings.data_dir, telegram_token=TOKEN)
    return running(build_application(settings, desk, base_url=api.base_url))


async def test_research_sends_a_summary_and_the_html_brief(api: FakeBotApiServer, sample_desk: Newsdesk) -> None:
    fake = api.fake
    async with _polling(sample_desk, api):
        await api.push(fake.message_update(CHAT, f"/research {BARRIER}"))
        await api.wait_for(lambda f: len(f.documents) == 1, timeout=30)
    summary, document = fake.sent(CHAT)[-2:]
    assert summary["text"].startswith(f"Research brief: {BARRIER}"), summary["text"]
    assert "stories from" in summary["text"] and "attached as an HTML file" in summary["text"]
    assert summary["reply_to_message"]["text"] == f"/research {BARRIER}"
    assert document["document"]["file_name"] == file_name(BARRIER) == "research-what-did-the-mayor-say-about.html"
    assert document["caption"] == f"Research brief: {BARRIER}"
    [upload] = fake.documents
    assert upload.mime_type == "text/html" and upload.file_name == document["document"]["file_name"]
    page = upload.content.decode("utf-8")
    assert page.startswith("<!DOCTYPE html>") and "We can pay for this barrier now" in page
    assert 'href="https://northwindradio.example/2026/10/port-aldren-flood-barrier-budget-vote"' in page
    methods = fake.methods()
    assert methods.index("sendChatAction") < methods.index("sendDocument")
    assert next(c for c in fake.calls if c.method == "sendChatAction").params["action"] == "upload_document"


async def test_research_without_a_question_says_how(api: FakeBotApiServer, sample_desk: Newsdesk) -> None:
    fake = api.fake
    async with _polling(sample_desk, api):
        await api.push(fake.message_update(CHAT, "/research"))
        await api.wait_for(lambda f: len(f.sent(CHAT)) == 1)
        await api.push(fake.message_update(CHAT, "/help"))
        await api.wait_for(lambda f: len(f.sent(CHAT)) == 2)
    usage, help_text = fake.sent(CHAT)
    assert usage["text"] == RESEARCH_USAGE and fake.documents == []
    assert "/research <question> — a research brief, sent as an HTML file" in help_text["text"]


async def test_research_through_process_update_uploads_the_file(sample_desk: Newsdesk) -> None:
    fake = FakeTelegram()
    settings = BotSettings(_env_file=None, data_dir=sample_desk.settings.data_dir, telegram_token=TOKEN)
    app = build_application(settings, sample_desk, request=StubRequest(fake))
    await app.initialize()
    try:
        await app.process_update(Update.de_json(fake.message_update(CHAT, f"/research {BARRIER}"), app.bot))
    finally:
        await app.shutdown()
    [upload] = fake.documents
    assert upload.content.decode("utf-8").startswith("<!DOCTYPE html>") and fake.rejected == []
    assert fake.methods()[-3:] == ["sendChatAction", "sendMessage", "sendDocument"]
