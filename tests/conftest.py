"""Test set-up: no network beyond loopback, real Chroma in tmp_path, the real ONNX embedder (loaded once)."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from bot.service import Newsdesk
from bot.settings import BotSettings
from ingest.embedder import MiniLMEmbeddings
from tests.chroma_server import chroma_server, server_settings  # noqa: F401
from tests.fake_bot_api import api  # noqa: F401
from tests.fake_llm import fake_llm  # noqa: F401
from tests.local_http import http_server  # noqa: F401

# Property tests: a few hundred examples per target in `make test`, thousands in `make fuzz`
# (`pytest --hypothesis-profile=fuzz -m fuzz`). Each test bounds the time of a single call itself,
# so hypothesis' own per-example deadline is off (the first call of a parser pays for its imports).
settings.register_profile("default", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fuzz", max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEED = SHARED / "seeds" / "000_f89702b78f56e684.txt"
SAMPLES = ROOT / "samples"


class NetworkBlocked(RuntimeError):
    """A test tried to reach a host that is not on this machine."""


def _is_local(address: object) -> bool:
    if isinstance(address, (str, bytes)) and not isinstance(address, tuple):
        return True  # AF_UNIX socket paths
    host = address[0] if isinstance(address, tuple) else address
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _guarded_connect(self: socket.socket, address: object) -> None:
    if not _is_local(address):
        raise NetworkBlocked(f"tests may only connect to loopback, not {address!r}")
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    if not _is_local(address):
        raise NetworkBlocked(f"tests may only connect to loopback, not {address!r}")
    return _real_connect_ex(self, address)


def pytest_configure(config: pytest.Config) -> None:
    # Installed for the whole run, before any test module imports a client library.
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    # One cache for every test's data directory (and the processes tests start): the optimized embedding model
    # is 90 MB, which each tmp_path would otherwise write again. Keyed by content, so sharing it between runs
    # is safe; `make clean` removes build/.
    os.environ.setdefault("NEWSDESK_CACHE_DIR", str(ROOT / "build" / "test-cache"))


@pytest.fixture(scope="session")
def embeddings() -> MiniLMEmbeddings:
    return MiniLMEmbeddings(batch_size=32, threads=2)


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> BotSettings:
    # Run from tmp_path so a developer's own .env never leaks into a test.
    monkeypatch.chdir(tmp_path)
    return BotSettings(data_dir=tmp_path / "data")


@pytest.fixture
def desk(settings: BotSettings, embeddings: MiniLMEmbeddings) -> Iterator[Newsdesk]:
    desk = Newsdesk(settings, embeddings=embeddings)
    yield desk
    desk.close()


#: The ``closing`` fixture's type.
Closing = Callable[[Newsdesk], Newsdesk]


@pytest.fixture
def closing() -> Iterator[Closing]:
    """``closing(desk)`` is ``desk``, closed after the test: no Chroma client (and none of a server's HTTP
    connections) is left for the garbage collector to find during a later test."""
    desks: list[Newsdesk] = []

    def register(desk: Newsdesk) -> Newsdesk:
        desks.append(desk)
        return desk

    yield register
    for desk in desks:
        desk.close()


@pytest.fixture
def seed() -> Path:
    if not SEED.is_file():
        pytest.skip(f"the seed article is not at {SEED} (../shared/seeds/ is absent)")
    return SEED


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    monkeypatch.chdir(tmp_path)
    yield {"NEWSDESK_DATA_DIR": str(tmp_path / "data")}
