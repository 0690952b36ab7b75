"""The Telegram bot and the CLI on a shared Chroma server (#14 item 3): the bot sees what another machine
ingests within its recheck interval, and a server that goes away costs one line (CLI) or an apology
(Telegram), after which the bot answers again as soon as the server is back on the same port and path.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from pydantic import SecretStr
from telegram.ext import Application

from bot.cli.app import cli
from bot.errors import StoreError
from bot.service import Newsdesk
from bot.settings import BotSettings
from bot.telegram.app import build_application
from bot.telegram.render import APOLOGY
from ingest.embedder import MiniLMEmbeddings
from tests.chroma_server import ChromaServer
from tests.conftest import SAMPLES, Closing
from tests.fake_bot_api import TOKEN, FakeBotApiServer
from tests.telegram_running import running

CHAT = 4114
FERRY = SAMPLES / "01-harbour-ferry-strike.txt"
SEAGRASS = SAMPLES / "06-seagrass-restoration-study.txt"
FERRY_QUESTION = "What did Dolores Kettering say about the ferry crews' working hours?"
SEAGRASS_QUESTION = "How did the sea-grass replanting in Port Aldren bay turn out?"
RECHECK = 1.0


def _polling(desk: Newsdesk, api: FakeBotApiServer) -> contextlib.AbstractAsyncContextManager[Application]:
    settings = desk.settings.model_copy(update={"telegram_token": SecretStr(TOKEN), "telegram_questions_per_minute": 0})
    return running(build_application(settings, desk, base_url=api.base_url))


async def _ask(api: FakeBotApiServer, question: str) -> str:
    before = len(api.fake.sent(CHAT))
    await api.push(api.fake.message_update(CHAT, question))
    await api.wait_for(lambda f: len(f.sent(CHAT)) > before, timeout=30)
    return str(api.fake.sent(CHAT)[-1]["text"])


def _machine(settings: BotSettings, name: str, embeddings: MiniLMEmbeddings, **update: object) -> Newsdesk:
    return Newsdesk(settings.model_copy(update={"data_dir": settings.data_dir.parent / name, **update}),
                    embeddings=embeddings)


async def test_the_bot_sees_what_another_machine_ingests_within_its_interval(
    server_settings: BotSettings, api: FakeBotApiServer, embeddings: MiniLMEmbeddings, closing: Closing
) -> None:
    researcher = closing(_machine(server_settings, "researcher", embeddings))
    bot = closing(_machine(server_settings, "bot", embeddings, index_recheck_seconds=RECHECK))
    assert not researcher.ingest([FERRY]).failed
    async with _polling(bot, api):
        assert "Kettering" in await _ask(api, FERRY_QUESTION)
        ingesting = asyncio.create_task(asyncio.to_thread(researcher.ingest, [SEAGRASS]))
        while not ingesting.done():  # the bot keeps answering while the other machine writes
            assert "Kettering" in await _ask(api, FERRY_QUESTION)
        assert not (await ingesting).failed
        await asyncio.sleep(RECHECK)
        assert "sea-grass" in (await _ask(api, SEAGRASS_QUESTION)).lower(), "seen within the recheck interval"


@pytest.fixture
def restarted(chroma_server: ChromaServer) -> Iterator[ChromaServer]:
    """The session's server, started again after the test whatever happened (later tests need it)."""
    yield chroma_server
    chroma_server.stop()
    chroma_server.start()


async def test_a_server_that_goes_away_and_comes_back(
    server_settings: BotSettings, api: FakeBotApiServer, embeddings: MiniLMEmbeddings, restarted: ChromaServer,
    closing: Closing,
) -> None:
    bot = closing(_machine(server_settings, "bot", embeddings))  # index_recheck_seconds=0: asks the server each time
    assert not bot.ingest([FERRY]).failed
    env = {"NEWSDESK_CHROMA_URL": restarted.url, "NEWSDESK_DATA_DIR": str(server_settings.data_dir),
           "NEWSDESK_CHUNK_OVERLAP": str(server_settings.chunk_overlap)}
    async with _polling(bot, api):
        assert "Kettering" in await _ask(api, FERRY_QUESTION)
        restarted.stop()
        assert await _ask(api, FERRY_QUESTION) == APOLOGY
        with pytest.raises(StoreError) as caught:  # a chat or any other open session: one line, no traceback
            bot.ask(FERRY_QUESTION)
        assert caught.value.user_message.startswith(f"cannot reach the Chroma server at {restarted.url}: ")
        assert "\n" not in caught.value.user_message
        cli_run = CliRunner().invoke(cli, ["ask", FERRY_QUESTION], env=env)
        assert cli_run.exit_code == 1, cli_run.output
        assert cli_run.output.startswith(f"Error: cannot reach the Chroma server at {restarted.url}: "), cli_run.output
        assert cli_run.output.count("\n") == 1, "one line, no traceback"
        restarted.start()
        assert "Kettering" in await _ask(api, FERRY_QUESTION), "the bot recovers once the server is back"
