"""The Telegram bot end to end, over HTTP: PTB's real transport against the fake Bot API on 127.0.0.1.

Polling (/start, a question, a passage button), the webhook (right and wrong secret), a 429 retried by the
rate limiter, the token kept out of every log line, and the real ``newsdesk telegram`` process.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import signal
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from telegram.ext import Application

from bot.cli.app import cli
from bot.service import Newsdesk
from bot.settings import BotSettings
from bot.telegram.access import REDACTED
from bot.telegram.app import build_application
from bot.telegram.render import APOLOGY
from ingest.embedder import MiniLMEmbeddings
from tests.conftest import ROOT, SAMPLES
from tests.fake_bot_api import TOKEN, FakeBotApiServer
from tests.telegram_running import running

CHAT = 31337
QUESTION = "What did Dolores Kettering say about the ferry crews' working hours?"


@pytest.fixture(scope="module")
def sample_desk(tmp_path_factory: pytest.TempPathFactory, embeddings: MiniLMEmbeddings) -> Newsdesk:
    desk = Newsdesk(BotSettings(_env_file=None, data_dir=tmp_path_factory.mktemp("telegram-e2e") / "data"),
                    embeddings=embeddings)
    assert not desk.ingest([SAMPLES / "01-harbour-ferry-strike.txt"]).failed  # one article keeps the setup quick
    return desk


@pytest.fixture
def log_text() -> Iterator[io.StringIO]:
    """Everything logged during the test, at DEBUG, by every library (the bot adds its redactor at build time)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def _app(desk: Newsdesk, api: FakeBotApiServer) -> Application:
    settings = BotSettings(_env_file=None, data_dir=desk.settings.data_dir, telegram_token=TOKEN)
    return build_application(settings, desk, base_url=api.base_url)




async def test_polling_start_a_question_and_a_passage_button(
    api: FakeBotApiServer, sample_desk: Newsdesk, log_text: io.StringIO
) -> None:
    fake = api.fake
    async with running(_app(sample_desk, api)):
        await api.push(fake.message_update(CHAT, "/start"))
        await api.wait_for(lambda f: len(f.sent(CHAT)) == 1)
        await api.push(fake.message_update(CHAT, QUESTION))
        await api.wait_for(lambda f: len(f.sent(CHAT)) == 2)
        answer = fake.sent(CHAT)[-1]
        await api.push(fake.callback_update(answer, fake.button_data(answer, "Passage 1")))
        await api.wait_for(lambda f: len(f.sent(CHAT)) == 3)
    start, answer, passage = fake.sent(CHAT)
    assert start["text"].startswith("newsdesk answers questions")
    assert "[1] The Harbour Gazette (harbourgazette.example) · commercial" in answer["text"]
    assert "Harbour Gazette (harbourgazette.example) — commercial outlet" in passage["text"]
    methods = fake.methods()
    assert methods[:4] == ["getMe", "setMyCommands", "setMyCommands", "deleteWebhook"], methods
    assert methods.index("sendChatAction") < methods.index("answerCallbackQuery")
    assert {c.params["parse_mode"] for c in fake.calls if c.method == "sendMessage"} == {"HTML"}
    commands = next(c.params["commands"] for c in fake.calls if c.method == "setMyCommands")
    assert [c["command"] for c in commands] == ["start", "help", "ask", "research", "sources", "outlet", "about"]
    logs = log_text.getvalue()
    assert "is up; articles in the collection: 1" in logs and "getUpdates" in logs, "the log was captured"
    assert TOKEN.lower() not in logs.lower()


async def test_webhook_rejects_a_wrong_secret_and_answers_the_right_one(
    api: FakeBotApiServer, sample_desk: Newsdesk
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/telegram"
    webhook = {"listen": "127.0.0.1", "port": port, "url_path": "telegram", "webhook_url": url,
               "secret_token": "s3cret_Token-1"}
    fake = api.fake
    async with running(_app(sample_desk, api), webhook=webhook), httpx.AsyncClient(timeout=5) as client:
        assert fake.webhook == {"url": url, "secret_token": "s3cret_Token-1"}
        header = "X-Telegram-Bot-Api-Secret-Token"
        wrong = await client.post(url, json=fake.message_update(CHAT, "/start"), headers={header: "guess"})
        missing = await client.post(url, json=fake.message_update(CHAT, "/help"))
        right = await client.post(url, json=fake.message_update(CHAT, QUESTION), headers={header: "s3cret_Token-1"})
        await api.wait_for(lambda f: len(f.sent(CHAT)) == 1)
    assert (wrong.status_code, missing.status_code, right.status_code) == (403, 403, 200)
    [reply] = fake.sent(CHAT)
    assert "Dolores Kettering" in reply["text"], "only the request with the right secret was handled"


async def test_a_429_is_retried_after_the_time_telegram_asks_for(
    api: FakeBotApiServer, sample_desk: Newsdesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PTB 22 warns when RetryAfter.retry_after is read as an int; opt in to the timedelta that PTB 23 will use.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    api.fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    async with running(_app(sample_desk, api)):
        await api.push(api.fake.message_update(CHAT, "/start"))
        await api.wait_for(lambda f: len(f.sent(CHAT)) == 1)
    sends = [c for c in api.fake.calls if c.method == "sendMessage"]
    assert len(sends) == 2 and sends[1].at - sends[0].at >= 1.0, "sent again, after retry_after"


async def test_the_token_never_reaches_the_logs(sample_desk: Newsdesk, log_text: io.StringIO) -> None:
    # This fake puts the request URL, token included, into its error descriptions, so the token reaches an
    # exception message and the logged traceback: the redactor has to catch it there.
    async with FakeBotApiServer(echo_url_in_errors=True) as api:
        api.fake.fail_next("sendMessage", 400, "Bad Request: chat not found")
        async with running(_app(sample_desk, api)):
            await api.push(api.fake.message_update(CHAT, "/help"))
            await api.wait_for(lambda f: len(f.sent(CHAT)) == 1)
    assert api.fake.sent(CHAT)[0]["text"] == APOLOGY
    logs = log_text.getvalue()
    assert f"bot{REDACTED}/sendmessage" in logs and "Traceback" in logs, logs[-2000:]
    assert TOKEN.lower() not in logs.lower(), "PTB lower-cases error text, so look for the token in any case"


def test_the_command_needs_a_token_and_checks_its_flags(cli_env: dict[str, str]) -> None:
    runner = CliRunner()
    missing = runner.invoke(cli, ["telegram"], env={**cli_env, "NEWSDESK_TELEGRAM_TOKEN": ""})
    assert missing.exit_code == 1 and "NEWSDESK_TELEGRAM_TOKEN is not set" in missing.output, missing.output
    bad_secret = runner.invoke(cli, ["telegram", "--webhook-url", "https://bot.example.org/t", "--secret-token",
                                     "not allowed!"], env=cli_env)
    assert bad_secret.exit_code == 2 and "--secret-token" in bad_secret.output
    no_url = runner.invoke(cli, ["telegram", "--secret-token", "abc"], env=cli_env)
    assert no_url.exit_code == 2 and "--webhook-url" in no_url.output


async def test_the_newsdesk_telegram_process_polls_answers_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    async with FakeBotApiServer() as api:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}
        env |= {"NEWSDESK_TELEGRAM_TOKEN": TOKEN, "NEWSDESK_TELEGRAM_API_URL": f"http://127.0.0.1:{api.port}",
                "NEWSDESK_DATA_DIR": str(tmp_path / "data"), "NEWSDESK_TELEGRAM_ALLOWED_USERS": str(CHAT),
                "PYTHONPATH": str(ROOT)}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "telegram", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        try:
            await api.wait_for(lambda f: "getUpdates" in f.methods(), timeout=60)
            await api.push(api.fake.message_update(CHAT, "/start"))
            await api.wait_for(lambda f: len(f.sent(CHAT)) == 1, timeout=20)
            process.send_signal(signal.SIGINT)
            stdout, stderr = await asyncio.wait_for(process.communicate(), 20)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    log = stderr.decode()
    assert process.returncode == 0, log
    assert "The collection: empty for now" in api.fake.sent(CHAT)[0]["text"]
    assert "long polling" in log and "is up; articles in the collection: 0" in log, log
    assert TOKEN.lower() not in (log + stdout.decode()).lower()
