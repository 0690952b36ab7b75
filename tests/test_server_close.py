"""Server mode's loose ends (#14): a server that goes away in the middle of ``newsdesk info`` costs one line, and
every way out of newsdesk (``Newsdesk.close``, the end of a CLI command, the bot's shutdown) closes the Chroma
client's HTTP connections instead of leaving them to the garbage collector.

Open connections are counted from the kernel's table (``/proc/net/tcp``): this process's sockets connected to the
server's port.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from click.testing import CliRunner
from pydantic import SecretStr

from bot.cli.app import cli
from bot.service import Newsdesk
from bot.settings import BotSettings
from bot.telegram.app import build_application
from ingest.embedder import MiniLMEmbeddings
from tests.chroma_server import ChromaServer, proxy_in_front
from tests.conftest import SAMPLES, Closing
from tests.fake_bot_api import TOKEN, FakeBotApiServer
from tests.telegram_running import running

FERRY = SAMPLES / "01-harbour-ferry-strike.txt"
TCP = Path("/proc/net/tcp")


def _connections_to(port: int) -> int:
    """This process's TCP sockets whose remote end is ``port`` (IPv4, any state the kernel still lists)."""
    mine = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # closed since listed
            continue
        if target.startswith("socket:["):
            mine.add(target[len("socket:["):-1])
    rows = [line.split() for line in TCP.read_text().splitlines()[1:]]
    return sum(1 for row in rows if int(row[2].rsplit(":", 1)[1], 16) == port and row[9] in mine)


needs_proc = pytest.mark.skipif(not TCP.is_file(), reason="counts sockets from /proc/net/tcp (Linux only)")


def _env(settings: BotSettings, url: str) -> dict[str, str]:
    return {"NEWSDESK_CHROMA_URL": url, "NEWSDESK_DATA_DIR": str(settings.data_dir),
            "NEWSDESK_CHUNK_OVERLAP": str(settings.chunk_overlap), "NEWSDESK_INDEX_RECHECK_SECONDS": "0"}


@needs_proc
def test_closing_the_desk_closes_its_connections(server_settings: BotSettings, chroma_server: ChromaServer,
                                                 embeddings: MiniLMEmbeddings) -> None:
    before = _connections_to(chroma_server.port)
    desk = Newsdesk(server_settings, embeddings=embeddings)
    assert not desk.collection_exists() and _connections_to(chroma_server.port) == before, \
        "the client that only lists collections is closed at once"
    assert desk.sources() == [] and _connections_to(chroma_server.port) > before, "the store keeps a connection"
    desk.close()
    assert _connections_to(chroma_server.port) == before
    assert desk.sources() == [], "a closed desk opens its store again when asked"
    desk.close()


@needs_proc
def test_a_cli_command_closes_its_connections_when_it_ends(server_settings: BotSettings,
                                                           chroma_server: ChromaServer) -> None:
    before = _connections_to(chroma_server.port)
    for args in (["ingest", str(FERRY)], ["sources"], ["info"], ["ask", "Who is Dolores Kettering?"]):
        result = CliRunner().invoke(cli, args, env=_env(server_settings, chroma_server.url), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert _connections_to(chroma_server.port) == before, f"`newsdesk {args[0]}` left a connection open"


@needs_proc
async def test_the_bot_closes_its_connections_on_shutdown(server_settings: BotSettings, chroma_server: ChromaServer,
                                                          api: FakeBotApiServer, embeddings: MiniLMEmbeddings,
                                                          closing: Closing) -> None:
    assert not closing(Newsdesk(server_settings, embeddings=embeddings)).ingest([FERRY]).failed
    before = _connections_to(chroma_server.port)
    desk = Newsdesk(server_settings.model_copy(update={"data_dir": server_settings.data_dir.parent / "bot"}),
                    embeddings=embeddings)
    settings = desk.settings.model_copy(update={"telegram_token": SecretStr(TOKEN)})
    async with running(build_application(settings, desk, base_url=api.base_url)):
        assert _connections_to(chroma_server.port) > before, "the bot opened its collection at start"
    assert _connections_to(chroma_server.port) == before, "and closed it when it stopped"


# -- a server that goes away in the middle of a command -----------------------------------------------------------


class _DiesAtCount(BaseHTTPRequestHandler):
    """In front of the real server: forwards every request but a collection's ``count``, where it drops the
    connection without an answer, as a server killed at that moment would."""

    protocol_version = "HTTP/1.1"
    upstream = ""

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if urlsplit(self.path).path.rstrip("/").endswith("/count"):
            self.close_connection = True
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
        upstream = httpx.request(self.command, self.upstream + self.path, content=body, headers=headers, timeout=30)
        self.send_response(upstream.status_code)
        self.send_header("Content-Type", upstream.headers.get("content-type", "application/json"))
        self.send_header("Content-Length", str(len(upstream.content)))
        self.end_headers()
        self.wfile.write(upstream.content)

    do_GET = do_POST = do_PUT = do_DELETE = _forward

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def dies_at_count(chroma_server: ChromaServer) -> Iterator[str]:
    with proxy_in_front(chroma_server, _DiesAtCount) as url:
        yield url


def test_info_when_the_server_goes_away_mid_command_is_one_line(server_settings: BotSettings, dies_at_count: str,
                                                                embeddings: MiniLMEmbeddings,
                                                                closing: Closing) -> None:
    assert not closing(Newsdesk(server_settings, embeddings=embeddings)).ingest([FERRY]).failed
    for args in (["info"], ["info", "--json"]):
        result = CliRunner().invoke(cli, args, env=_env(server_settings, dies_at_count), catch_exceptions=False)
        assert result.exit_code == 1, result.output
        assert result.stdout == "", "nothing half-printed"
        assert result.stderr.startswith(f"Error: cannot reach the Chroma server at {dies_at_count}: "), result.stderr
        assert result.stderr.count("\n") == 1, f"one line, no traceback: {result.stderr}"
    facts = CliRunner().invoke(cli, ["info", "--json"], env=_env(server_settings, server_settings.chroma_url or ""),
                               catch_exceptions=False)
    assert json.loads(facts.stdout)["chunks"] > 0, "the same command against the live server counts the chunks"
