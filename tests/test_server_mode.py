"""Server mode against a real ``chroma run`` (#14 items 1 and 2): every command, two machines on one server,
the ingest bookkeeping kept in the server, and a token-authenticated server whose token is never shown.

Each test has its own collection on the session's server (``server_settings``); a "machine" is a ``Newsdesk``
(or a CLI run) with its own data directory.
"""

from __future__ import annotations

import io
import json
import logging
import socket
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

from bot.cli.app import cli
from bot.errors import StoreError
from bot.service import Newsdesk
from bot.settings import BotSettings
from ingest.embedder import MiniLMEmbeddings
from tests.chroma_server import ChromaServer, proxy_in_front
from tests.conftest import SAMPLES, Closing

FERRY = SAMPLES / "01-harbour-ferry-strike.txt"
SEAGRASS = SAMPLES / "06-seagrass-restoration-study.txt"
FERRY_QUESTION = "What did Dolores Kettering say about the ferry crews' working hours?"
TOKEN = "chroma-s3cret-T0ken-4711"


class CountingEmbeddings(MiniLMEmbeddings):
    """The real embedder, counting the texts it embeds for storage (a second machine must embed none)."""

    def __init__(self, real: MiniLMEmbeddings) -> None:
        self.__dict__.update(real.__dict__)
        self.documents = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.documents += len(texts)
        return super().embed_documents(texts)


def _env(settings: BotSettings, **extra: str) -> dict[str, str]:
    assert settings.chroma_url
    return {"NEWSDESK_CHROMA_URL": settings.chroma_url, "NEWSDESK_DATA_DIR": str(settings.data_dir),
            "NEWSDESK_CHUNK_OVERLAP": str(settings.chunk_overlap), "NEWSDESK_INDEX_RECHECK_SECONDS": "0", **extra}


def _run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def _machine(settings: BotSettings, name: str, embeddings: MiniLMEmbeddings, **update: object) -> Newsdesk:
    return Newsdesk(settings.model_copy(update={"data_dir": settings.data_dir.parent / name, **update}),
                    embeddings=embeddings)


def test_every_command_uses_the_server(server_settings: BotSettings) -> None:
    env = _env(server_settings)
    ingested = _run(env, "ingest", str(FERRY), str(SEAGRASS), "--json")
    assert ingested.exit_code == 0, ingested.output
    report = json.loads(ingested.stdout)
    assert len(report["added"]) == 2 and report["chunks"] > 0, report
    answer = _run(env, "ask", FERRY_QUESTION)
    assert answer.exit_code == 0 and "Kettering" in answer.output, answer.output
    listed = json.loads(_run(env, "sources", "--json").stdout)
    assert len(listed) == 2, listed
    ferry_id = next(r["id"] for r in listed if "erry" in r["title"])
    removed = _run(env, "remove", ferry_id)
    assert removed.exit_code == 0 and ferry_id in removed.output, removed.output
    facts = json.loads(_run(env, "info", "--json").stdout)
    assert (facts["store"], facts["articles"]) == (server_settings.chroma_url, 1), facts
    gone = _run(env, "ask", FERRY_QUESTION, "--json")
    assert gone.exit_code == 0 and ferry_id not in gone.stdout, "a removed article is not quoted"
    reset = _run(env, "reset", "--yes")
    assert reset.exit_code == 0 and "removed collection" in reset.output, reset.output
    assert json.loads(_run(env, "info", "--json").stdout)["articles"] == 0
    assert not server_settings.chroma_dir.exists(), "with a server nothing goes into the local Chroma folder"


def test_two_machines_see_each_others_articles_and_replacements(server_settings: BotSettings, tmp_path: Path,
                                                                  embeddings: MiniLMEmbeddings,
                                                                  closing: Closing) -> None:
    writer = closing(_machine(server_settings, "researcher", embeddings))
    bot = closing(_machine(server_settings, "bot", embeddings))
    assert not writer.ingest([FERRY]).failed
    assert "Kettering" in bot.ask(FERRY_QUESTION).answer
    # The same location with new text of the same size: the chunk count stays, only the change token tells.
    story = tmp_path / "harbour-note.txt"
    story.write_text("Harbour note\nThe harbour master Ilse Varga said the north pier reopens on Friday.\n")
    assert writer.ingest([story]).added
    assert "Varga" in bot.ask("When does the north pier reopen?").answer
    story.write_text("Harbour note\nThe harbour master Ilse Varga said the south pier closes on Sunday.\n")
    assert writer.ingest([story]).updated
    assert "south pier closes" in bot.ask("What did Ilse Varga say about the south pier?").answer, \
        "the other machine's replacement is seen at the next check"
    assert "north pier reopens" not in " ".join(p.text for p in bot.retrieve("north pier reopens")), \
        "the replaced text is gone from the other machine's index"


def test_a_machine_answers_from_its_index_until_the_recheck_interval_ends(server_settings: BotSettings,
                                                                         embeddings: MiniLMEmbeddings,
                                                                  closing: Closing) -> None:
    writer = closing(_machine(server_settings, "researcher", embeddings))
    bot = closing(_machine(server_settings, "bot", embeddings, index_recheck_seconds=3600.0))
    assert not writer.ingest([FERRY]).failed
    assert bot.sources() and bot.retrieve(FERRY_QUESTION)
    assert not writer.ingest([SEAGRASS]).failed
    assert len(bot.sources()) == 2, "the list of sources is read from the server each time"
    seagrass_id = next(r.id for r in bot.sources() if "grass" in r.title)
    assert seagrass_id not in {p.article_id for p in bot.retrieve("sea-grass replanting in Port Aldren bay", k=10)}, \
        "within the interval the index is not rechecked"
    bot.settings = bot.settings.model_copy(update={"index_recheck_seconds": 0.0})
    assert seagrass_id in {p.article_id for p in bot.retrieve("sea-grass replanting in Port Aldren bay", k=10)}


def test_a_second_machine_embeds_nothing_the_first_stored(server_settings: BotSettings,
                                                           embeddings: MiniLMEmbeddings,
                                                           closing: Closing) -> None:
    first = closing(_machine(server_settings, "first", CountingEmbeddings(embeddings)))
    stored = first.ingest([SAMPLES])
    assert len(stored.added) == 6 and first.embeddings.documents > 0  # type: ignore[attr-defined]
    chunks = first.store.count_chunks()
    second = closing(_machine(server_settings, "second", CountingEmbeddings(embeddings)))
    again = second.ingest([SAMPLES])
    assert (len(again.unchanged), again.chunks) == (6, 0), again
    assert second.embeddings.documents == 0, "nothing the first machine stored is embedded again"  # type: ignore[attr-defined]
    assert second.store.count_chunks() == chunks and len(second.sources()) == 6


# -- a token-authenticated server ---------------------------------------------------------------------------------


class _TokenGate(BaseHTTPRequestHandler):
    """In front of the real server: forwards requests carrying ``Authorization: Bearer TOKEN``, 401 for others
    (what Chroma's token authentication does)."""

    upstream = ""

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            reply = json.dumps({"error": "AuthorizationError", "message": "Unauthorized"}).encode()
            status, content_type = 401, "application/json"
        else:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "authorization")}
            upstream = httpx.request(self.command, self.upstream + self.path, content=body, headers=headers,
                                     timeout=30)
            reply, status = upstream.content, upstream.status_code
            content_type = upstream.headers.get("content-type", "application/json")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    do_GET = do_POST = do_PUT = do_DELETE = _forward

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def token_gate(chroma_server: ChromaServer) -> Iterator[str]:
    with proxy_in_front(chroma_server, _TokenGate) as url:
        yield url


def test_a_token_server_gets_the_token_and_nobody_sees_it(server_settings: BotSettings, token_gate: str) -> None:
    log = io.StringIO()
    handler = logging.StreamHandler(log)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        env = _env(server_settings, NEWSDESK_CHROMA_URL=token_gate, NEWSDESK_CHROMA_TOKEN=TOKEN)
        ingested = _run(env, "ingest", str(FERRY))
        answer = _run(env, "ask", FERRY_QUESTION)
        info = _run(env, "info")
        refused = _run(_env(server_settings, NEWSDESK_CHROMA_URL=token_gate, NEWSDESK_CHROMA_TOKEN="wrong"),
                       "sources")
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    assert ingested.exit_code == 0 and "Kettering" in answer.output, answer.output
    assert "NEWSDESK_CHROMA_TOKEN=(set, hidden)" in info.output, info.output
    assert refused.exit_code == 1, refused.output
    assert refused.output.count("\n") == 1 and "cannot reach the Chroma server" in refused.output, refused.output
    everything = "".join(r.output for r in (ingested, answer, info, refused)) + log.getvalue()
    assert TOKEN not in everything, "the token is never printed or logged"


def test_a_refused_token_is_a_store_error(server_settings: BotSettings, token_gate: str,
                                          embeddings: MiniLMEmbeddings, closing: Closing) -> None:
    desk = closing(_machine(server_settings, "m", embeddings, chroma_url=token_gate))
    with pytest.raises(StoreError) as caught:
        desk.sources()
    assert "refused the credentials" in caught.value.user_message and TOKEN not in caught.value.user_message


def test_messages_name_the_server_without_its_password(tmp_path: Path, embeddings: MiniLMEmbeddings) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = BotSettings(_env_file=None, data_dir=tmp_path, chroma_url=f"http://admin:hunter2@127.0.0.1:{port}")
    desk = Newsdesk(settings, embeddings=embeddings)
    for call in (desk.collection_exists, desk.sources):
        with pytest.raises(StoreError) as caught:
            call()
        message = caught.value.user_message
        assert message.startswith(f"cannot reach the Chroma server at http://127.0.0.1:{port}: "), message
        assert "hunter2" not in message and "\n" not in message
