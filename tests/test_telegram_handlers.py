"""Telegram handlers through PTB's own dispatch: a recording ``BaseRequest`` stub and ``Application.process_update``.

The service is real (the sample articles, an adversarial one and the seed, embedded by the real model); only
Telegram is faked, by ``tests.fake_bot_api.FakeTelegram``, which rejects any message Telegram would reject.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Any

import pytest
from telegram import Update
from telegram.ext import Application

from bot.retrieval.query import MAX_QUESTION_CHARS
from bot.service import Newsdesk
from bot.settings import BotSettings
from bot.telegram.app import OTHER_MESSAGES_PER_MINUTE, MissingTelegramToken, build_application
from bot.telegram.chat import ButtonPress, PassageView
from bot.telegram.handlers import CHAT_STATE
from bot.telegram.render import APOLOGY, ASK_USAGE, EXPIRED, OUTLET_USAGE, REFUSAL, TEXT_ONLY, TOO_LONG
from ingest.embedder import MiniLMEmbeddings
from tests.conftest import SAMPLES, SEED
from tests.fake_bot_api import BOT, TOKEN, FakeTelegram, StubRequest

CHAT = 4242
GROUP = -100777
KETTERING = "What did Dolores Kettering say about the ferry crews' working hours?"
MAYOR = "What did the mayor say about the cost of the flood barrier?"
GULLS = "How many gulls did the lighthouse keeper Oskar Brandvold count?"
# Article text that tries every way of breaking Telegram HTML; its last paragraph is one 9,000-character line
# (plain words mostly, so that embedding it stays quick).
LONG_PARAGRAPH = " ".join(
    f"Berth {i} on the north quay holds two barges and a tug overnight."
    + (" Fees <b>rise</b> & fall < 5% 🚢 </i> &amp;" if i % 10 == 0 else "")
    for i in range(130)
) + " The lighthouse keeper Oskar Brandvold counted 412 gulls on the breakwater at dawn. " + " ".join(
    f"Mooring {i} stays free for pilot boats during storms." for i in range(12)
)
ADVERSARIAL = f"""---
title: '<script>alert("x")</script> Harbour & "Quayside" <b>tolls</b> 🚢'
url: 'https://harbourgazette.example/2026/10/tolls?a=1&b="2"'
published_at: 2026-10-30T09:00:00Z
---
<script>alert("x")</script> Harbour & "Quayside" <b>tolls</b> 🚢
The <b>harbour toll</b> for ferries rose to 7 <i>dollars</i> & 50 cents, the port's <script>alert(1)</script> notice \
said 🚢.
Port director Ines Calloway said: "Tolls < 10 dollars & > 5 dollars are fair; &amp; is not an entity, </b> is no tag."
{LONG_PARAGRAPH}
"""


@pytest.fixture(scope="module")
def sample_desk(tmp_path_factory: pytest.TempPathFactory, embeddings: MiniLMEmbeddings) -> Newsdesk:
    root = tmp_path_factory.mktemp("telegram-handlers")
    (root / "adversarial.txt").write_text(ADVERSARIAL, encoding="utf-8")
    desk = Newsdesk(BotSettings(_env_file=None, data_dir=root / "data"), embeddings=embeddings)
    report = desk.ingest([SAMPLES, root / "adversarial.txt", *([SEED] if SEED.is_file() else [])])
    assert not report.failed, report.failed
    return desk


class Chat:
    """A bot under test and the fake Telegram it talks to; ``say``/``press`` return the bot's new messages."""

    def __init__(self, app: Application, fake: FakeTelegram) -> None:
        self.app, self.fake = app, fake

    async def feed(self, update: dict[str, Any]) -> list[dict[str, Any]]:
        before = len(self.fake.sent())
        await self.app.process_update(Update.de_json(update, self.app.bot))
        return self.fake.sent()[before:]

    async def say(self, text: str, chat_id: int = CHAT, **kwargs: Any) -> list[dict[str, Any]]:
        return await self.feed(self.fake.message_update(chat_id, text, **kwargs))

    async def press(self, message: dict[str, Any], button: str, **kwargs: Any) -> list[dict[str, Any]]:
        return await self.feed(self.fake.callback_update(message, self.fake.button_data(message, button), **kwargs))


MakeChat = Callable[..., Awaitable[Chat]]


@pytest.fixture
async def make_chat(sample_desk: Newsdesk) -> AsyncIterator[MakeChat]:
    chats: list[Chat] = []

    async def make(desk: Newsdesk | None = None, **settings: Any) -> Chat:
        desk = desk or sample_desk
        config = BotSettings(_env_file=None, data_dir=desk.settings.data_dir, telegram_token=TOKEN, **settings)
        fake = FakeTelegram()
        app = build_application(config, desk, request=StubRequest(fake))
        await app.initialize()
        chats.append(Chat(app, fake))
        return chats[-1]

    yield make
    for chat in chats:
        await chat.app.shutdown()
        assert chat.fake.rejected == [], "Telegram would have rejected these messages"


@pytest.fixture
async def chat(make_chat: MakeChat) -> Chat:
    return await make_chat()


def _buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


def test_the_token_is_required(settings: BotSettings, desk: Newsdesk) -> None:
    with pytest.raises(MissingTelegramToken, match="NEWSDESK_TELEGRAM_TOKEN is not set"):
        build_application(settings, desk)


async def test_start_says_what_the_bot_is_and_what_it_holds(chat: Chat, sample_desk: Newsdesk) -> None:
    [reply] = await chat.say("/start")
    articles = len(sample_desk.sources())
    assert reply["text"].startswith("newsdesk answers questions about the news articles"), reply["text"]
    assert f"The collection: {articles} articles from " in reply["text"]
    assert "How to ask" in reply["text"] and "/help" in reply["text"]


async def test_a_question_shows_typing_then_the_answer_with_sources_and_buttons(chat: Chat) -> None:
    [reply] = await chat.say(KETTERING)
    assert chat.fake.methods()[-2:] == ["sendChatAction", "sendMessage"]
    assert chat.fake.calls[-2].params["action"] == "typing"
    assert "“Union secretary Dolores Kettering said" in reply["text"] and "[1]" in reply["text"]
    assert ("[1] The Harbour Gazette (harbourgazette.example) · commercial, Fictional (newsdesk sample) · 2026-10-14"
            in reply["text"])
    assert '<a href="https://harbourgazette.example/2026/10/ferry-crews-walk-out-port-aldren">' in reply["html"]
    assert reply["reply_to_message"]["text"] == KETTERING, "answers quote the question they answer"
    buttons = _buttons(reply)
    assert buttons and buttons[0][0] == "Passage 1"
    assert all(re.fullmatch(r"p:[A-Za-z0-9_-]{8}:\d+", data) and len(data.encode()) <= 64 for _, data in buttons)


@pytest.mark.skipif(not SEED.is_file(), reason="the seed article is not in ../shared/seeds/")
async def test_the_seed_gets_the_compact_source_line_of_the_issue(chat: Chat) -> None:
    [reply] = await chat.say("What did Lavrov say about Kiev?")
    assert "\n[1] RT (rt.com) · state-controlled, Russia · via USSANews.com" in reply["text"], reply["text"]


async def test_a_passage_button_shows_the_whole_paragraph_with_the_outlet_flag(chat: Chat) -> None:
    [answer] = await chat.say(MAYOR)
    [passage] = await chat.press(answer, "Passage 1")
    assert chat.fake.methods()[-2:] == ["answerCallbackQuery", "sendMessage"]
    assert passage["reply_to_message"]["message_id"] == answer["message_id"]
    assert "Northwind Public Radio (northwindradio.example) — public broadcaster" in passage["text"]
    assert "Label: newsdesk sample data (fictional outlet)" in passage["text"]
    assert "no ratings or sanctions on record" in passage["text"], "the outlet's full card follows the passage (#11)"
    quote = '"We can pay for this barrier now, or we can pay far more to clean up after the next flood,"'
    assert "<b>[1] Port Aldren council approves" in passage["html"]
    assert quote.replace('"', "") in passage["text"].replace('"', "") and "<b>" in passage["html"]
    assert "Read the article" in passage["text"]


async def test_an_expired_button_says_so_and_sends_nothing(chat: Chat) -> None:
    message = {**chat.fake.message_update(CHAT, "hi")["message"], "from": BOT}
    update = chat.fake.callback_update(message, "p:gone0000:1")
    assert await chat.feed(update) == []
    assert chat.fake.calls[-1].method == "answerCallbackQuery" and chat.fake.calls[-1].params["text"] == EXPIRED


async def test_every_button_press_is_answered_even_one_that_is_not_ours(chat: Chat) -> None:
    message = {**chat.fake.message_update(CHAT, "hi")["message"], "from": BOT}
    for data in ("zzz", "", "p:", "m:k:1:2", "x" * 64):
        assert await chat.feed(chat.fake.callback_update(message, data)) == []
        assert chat.fake.calls[-1].method == "answerCallbackQuery", f"{data!r} was never answered"
        assert chat.fake.calls[-1].params["text"] == EXPIRED
    inline = chat.fake.callback_update(message, "p:gone0000:1")  # a press under an inline-mode message: no message
    del inline["callback_query"]["message"]
    inline["callback_query"]["inline_message_id"] = "im1"
    assert await chat.feed(inline) == []
    assert chat.fake.calls[-1].method == "answerCallbackQuery" and chat.fake.calls[-1].params["text"] == EXPIRED


async def test_more_sources_lists_the_articles_that_did_not_fit(chat: Chat) -> None:
    # Seven articles cited: more than fit under one answer. The answer is a real one, copied seven times.
    [first] = await chat.say(MAYOR)
    state = chat.app.chat_data[CHAT][CHAT_STATE]
    real = state.find(ButtonPress.parse(_buttons(first)[0][1]).key)
    citations = [replace(real.answer.citations[0], n=n, article_id=f"a-{n}") for n in range(1, 8)]
    answer = replace(real.answer, citations=tuple(citations))
    key = state.keep(replace(real, answer=answer, passages=tuple(PassageView(c, "", "") for c in citations)))
    message = {**first, "reply_markup": {"inline_keyboard": [[{"text": "More sources (2)",
                                                              "callback_data": f"m:{key}"}]]}}
    [more] = await chat.press(message, "More sources (2)")
    assert more["text"].startswith("More sources\n[6] Northwind Public Radio"), more["text"]
    assert [text for text, _ in _buttons(more)] == ["Passage 6", "Passage 7"]
    [passage] = await chat.press(more, "Passage 7")
    assert passage["text"].startswith("[7] Port Aldren council approves")


async def test_a_message_without_text_gets_a_hint(chat: Chat) -> None:
    update = chat.fake.message_update(CHAT, "placeholder")
    del update["message"]["text"]
    update["message"]["location"] = {"latitude": 51.5, "longitude": -0.1}
    [hint] = await chat.feed(update)
    assert hint["text"] == TEXT_ONLY


async def test_a_follow_up_is_rewritten_with_the_previous_question(chat: Chat) -> None:
    await chat.say(MAYOR)
    [reply] = await chat.say("and what did the traders say?")
    assert reply["text"].startswith(
        "Follow-up, read as: What did the traders say about the cost of the flood barrier?"), reply["text"]
    assert "Riverside" in reply["text"], "the traders' quote comes from the barrier story"


async def test_ask_command_and_its_usage(chat: Chat) -> None:
    [usage] = await chat.say("/ask")
    assert usage["text"] == ASK_USAGE
    [reply] = await chat.say(f"/ask {KETTERING}")
    assert "Dolores Kettering" in reply["text"]


async def test_sources_outlet_about_and_help(chat: Chat) -> None:
    [sources] = await chat.say("/sources")
    assert "Meridian Wire (meridianwire.example) · wire service" in sources["text"]
    assert "Voltaris opens $1.1 billion battery plant" in sources["text"] and "(via Valley Daily Digest)" in sources[
        "text"]
    [card] = await chat.say("/outlet rt.com")
    assert card["text"].startswith("RT (rt.com)\nstate-controlled media, Russia"), card["text"]
    assert "ASD/GMF State Media Matrix" in card["text"]
    [missing] = await chat.say("/outlet No Such Gazette")
    assert missing["text"].startswith("No outlet matching No Such Gazette among the")
    [usage] = await chat.say("/outlet")
    assert usage["text"] == OUTLET_USAGE
    [about] = await chat.say("/about")
    assert about["text"].startswith("How outlets are labelled") and "ASD/GMF State Media Matrix" in about["text"]
    [commands] = await chat.say("/help")
    assert "/outlet <name or domain>" in commands["text"]
    [unknown] = await chat.say("/frobnicate")
    assert "/help" in unknown["text"]


async def test_in_groups_only_ask_mentions_and_replies_are_answered(chat: Chat) -> None:
    group = {"chat_id": GROUP, "chat_type": "supergroup", "user_id": 5}
    assert await chat.say("What did the mayor say?", **group) == []
    assert await chat.say("/start", **group) == []
    assert await chat.say("/sources@newsdesk_test_bot", **group) == []
    [asked] = await chat.say(f"/ask@newsdesk_test_bot {KETTERING}", **group)
    assert "Dolores Kettering" in asked["text"]
    [mentioned] = await chat.say(f"@newsdesk_test_bot {MAYOR}", **group)
    assert "barrier" in mentioned["text"] and "@newsdesk_test_bot" not in mentioned["text"]
    [replied] = await chat.say("and what did the traders say?", reply_to=mentioned, **group)
    assert "Riverside" in replied["text"]
    other_bot_message = {**mentioned, "from": {"id": 999, "is_bot": True, "first_name": "Other"}}
    assert await chat.say("and what did the traders say?", reply_to=other_bot_message, **group) == []


async def test_outsiders_get_one_short_refusal_and_learn_nothing(make_chat: MakeChat) -> None:
    chat = await make_chat(telegram_allowed_users=("@Alice_W", "42"))
    assert await chat.say("/ask what?", chat_id=GROUP, chat_type="group", user_id=7) == [], "silence in groups"
    [refusal] = await chat.say("/start", chat_id=7, user_id=7, username="mallory")
    assert refusal["text"] == REFUSAL
    assert await chat.say(MAYOR, chat_id=7, user_id=7, username="mallory") == [], "one refusal, then silence"
    [answer] = await chat.say(MAYOR, chat_id=42, user_id=42)
    assert "barrier" in answer["text"]
    assert await chat.press(answer, "Passage 1", user_id=9) == []
    assert chat.fake.calls[-1].method == "answerCallbackQuery" and chat.fake.calls[-1].params["text"] == REFUSAL
    [allowed] = await chat.say("/start", chat_id=11, user_id=11, username="alice_w")
    assert "The collection" in allowed["text"], "usernames match whatever their case"


async def test_questions_are_rate_limited_per_user(make_chat: MakeChat) -> None:
    chat = await make_chat(telegram_questions_per_minute=2)
    for _ in range(2):
        [answer] = await chat.say(KETTERING)
        assert "Kettering" in answer["text"]
    [limited] = await chat.say(KETTERING)
    assert limited["text"].startswith("You can ask 2 questions a minute; please wait"), limited["text"]
    for _ in range(20):
        assert await chat.say(KETTERING) == [], 'a flood gets one "please wait", then silence'
    [other] = await chat.say(KETTERING, chat_id=99, user_id=99)
    assert "Kettering" in other["text"], "the limit is per user"


async def test_hostile_questions_get_an_answer_or_a_clear_refusal(chat: Chat) -> None:
    [long_s] = await chat.say("What did the mayor say on ſeptember 5, 2026 about the flood barrier?")
    assert long_s["text"] != APOLOGY and "barrier" in long_s["text"], "a long s once raised KeyError"
    [surrogate] = await chat.say("What did the mayor say about the cost of the flood barrier\ud800?")
    assert "barrier" in surrogate["text"], "a lone surrogate once made the embedder raise"
    [too_long] = await chat.say("Why? " * (MAX_QUESTION_CHARS // 5 + 1))
    assert too_long["text"] == TOO_LONG
    [at_limit] = await chat.say(MAYOR + " " * (MAX_QUESTION_CHARS - len(MAYOR) - 1) + "?")
    assert "barrier" in at_limit["text"], "a question at the limit is answered"


async def test_a_flood_of_commands_gets_one_please_wait_then_silence(chat: Chat) -> None:
    for _ in range(OTHER_MESSAGES_PER_MINUTE):
        [commands] = await chat.say("/help")
        assert "/outlet" in commands["text"]
    [wait] = await chat.say("/frobnicate")
    assert wait["text"].startswith("That is a lot of messages at once; please wait"), wait["text"]
    for text in ("/help", "/sources", "/start", "/nonsense", "/about", "/outlet rt.com"):
        assert await chat.say(text) == [], f"{text} after the limit was answered"
    [answer] = await chat.say(KETTERING)
    assert "Kettering" in answer["text"], "questions have their own limit"
    [other] = await chat.say("/help", chat_id=99, user_id=99)
    assert "/outlet" in other["text"], "the limit is per user"


async def test_an_empty_collection_tells_the_user_what_to_do(make_chat: MakeChat, desk: Newsdesk) -> None:
    chat = await make_chat(desk)
    [start] = await chat.say("/start")
    assert "The collection: empty for now" in start["text"]
    [reply] = await chat.say(MAYOR)
    assert reply["text"] == "no articles ingested yet: run `newsdesk ingest PATH` first"


async def test_a_failing_update_gets_an_apology_and_a_logged_traceback(
    chat: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    chat.fake.fail_next("sendChatAction", 400, "Bad Request: chat not found")
    with caplog.at_level(logging.ERROR, logger="bot.telegram.app"):
        [apology] = await chat.say(MAYOR)
    assert apology["text"] == APOLOGY
    [record] = [r for r in caplog.records if r.name == "bot.telegram.app"]
    assert record.exc_info and "Chat not found" in str(record.exc_info[1])


async def test_adversarial_article_text_is_escaped_and_long_passages_split(chat: Chat) -> None:
    [reply] = await chat.say("What did Ines Calloway say about the tolls?")
    assert "Tolls &lt; 10 dollars &amp; &gt; 5 dollars are fair; &amp;amp; is not an entity, &lt;/b&gt;" in reply[
        "html"], reply["html"]
    assert 'href="https://harbourgazette.example/2026/10/tolls?a=1&amp;b=%222%22"' in reply["html"], "percent-encoded"
    [answer] = await chat.say(GULLS)
    assert "412 gulls" in answer["text"], answer["text"]
    passage = await chat.press(answer, "Passage 1")
    assert len(passage) >= 3, "a 10,000-character paragraph takes three messages"
    assert all(len(m["text"].encode("utf-16-le")) // 2 <= 4096 for m in passage)
    shown = "".join(m["text"] for m in passage)
    assert re.sub(r"\s+", "", LONG_PARAGRAPH) in re.sub(r"\s+", "", shown), "no text is lost at the cuts"
    assert "<b>The lighthouse keeper Oskar Brandvold counted 412 gulls" in "".join(m["html"] for m in passage)


def test_adversarial_article_exists_as_written(sample_desk: Newsdesk) -> None:
    titles = [r.title for r in sample_desk.sources()]
    assert any(t.startswith('<script>alert("x")</script>') for t in titles), titles

