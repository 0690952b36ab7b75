"""A real Chroma server (``chroma run``, the binary that comes with chromadb) on 127.0.0.1, for the server-mode tests.

One server per test session (``chroma_server``), on a free port with its own ``--path`` in a temporary folder;
it can be stopped and started again on the same port and path, as an operator restarting it would. Tests
keep apart by collection: ``server_settings`` gives each test its own chunk overlap, hence its own collection
identity (the name hashes the chunk settings), so no test sees another's articles. Skipped, with the reason,
only when the ``chroma`` binary is missing.
"""

from __future__ import annotations

import contextlib
import itertools
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from bot.settings import BotSettings

#: Chunk overlaps handed out to tests (0-100 are valid); each one is a separate collection on the server.
_OVERLAPS = itertools.count(31)


def chroma_binary() -> str | None:
    beside = Path(sys.executable).parent / "chroma"
    return str(beside) if beside.is_file() else shutil.which("chroma")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ChromaServer:
    """``chroma run --path PATH --host 127.0.0.1 --port PORT`` in a child process."""

    def __init__(self, binary: str, path: Path) -> None:
        self.binary, self.path, self.port = binary, path, _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> None:
        self._process = subprocess.Popen(
            [self.binary, "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert self._process.poll() is None, f"chroma run exited early with {self._process.returncode}"
            assert time.monotonic() < deadline, f"chroma run did not answer within {timeout:.0f} s"
            time.sleep(0.05)

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None


@contextlib.contextmanager
def proxy_in_front(server: ChromaServer, handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """The URL of an HTTP server on 127.0.0.1 that hands each request to ``handler``, a subclass given the real
    server's URL as ``upstream``: a stand-in that forwards, refuses or drops what a test chooses."""
    bound = type(handler.__name__, (handler,), {"upstream": server.url})
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), bound)
    thread = threading.Thread(target=proxy.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{proxy.server_address[1]}"
    finally:
        proxy.shutdown()
        proxy.server_close()


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    binary = chroma_binary()
    if binary is None:
        pytest.skip("the `chroma` binary (installed with chromadb) is not on this machine: server-mode tests skipped")
    server = ChromaServer(binary, tmp_path_factory.mktemp("chroma-server") / "db")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def server_settings(chroma_server: ChromaServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> BotSettings:
    """Settings of one machine using the server: its own data directory, and a collection no other test uses."""
    monkeypatch.chdir(tmp_path)  # a developer's own .env never leaks in
    return BotSettings(_env_file=None, data_dir=tmp_path / "machine-a", chroma_url=chroma_server.url,
                       chunk_overlap=next(_OVERLAPS), index_recheck_seconds=0.0)
