"""A real HTTP server on 127.0.0.1 for tests of HTTP clients, and its ``http_server`` fixture.

A test registers canned routes, points the client at ``server.url(path)`` and reads back what arrived
in ``server.requests``. Unknown paths answer 404. The server runs in a background thread and stops
at once on teardown, even while a route is still in its ``delay``.
"""

from __future__ import annotations

import socketserver
import sys
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

import pytest

_CHUNK = 8192


@dataclass(frozen=True, slots=True)
class Route:
    """A canned response."""

    body: bytes
    content_type: str | None
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    chunked: bool = False
    trickle: float = 0.0  # with chunked: seconds between 16-byte chunks (a server that never quite stalls)


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """A request as the server saw it; header names are lower-case."""

    method: str
    path: str  # with the query string
    headers: Mapping[str, str]


class LocalHTTPServer(ThreadingHTTPServer):
    """Serves registered routes from a daemon thread; a context manager that starts and stops it."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        # Port 0: the OS picks a free port, so parallel runs never collide. A short poll interval keeps
        # shutdown() quick: it waits for the serve loop to notice, up to one interval. Another loopback
        # host (127.0.0.2) makes a second "machine" for tests of which addresses may be fetched from.
        super().__init__((host, 0), _Handler)
        self.routes: dict[str, Route] = {}
        self.requests: list[RecordedRequest] = []
        self.stopping = threading.Event()
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)

    def add(
        self,
        path: str,
        body: bytes,
        content_type: str | None = "text/html; charset=utf-8",
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        delay: float = 0.0,
        chunked: bool = False,
        trickle: float = 0.0,
    ) -> None:
        """Answer GET ``path`` with ``body``.

        Args:
            path: Path without query string, e.g. ``/news``.
            body: Response body.
            content_type: Content-Type header; None sends none.
            status: HTTP status code.
            headers: Extra headers; a ``Content-Length`` here replaces the true one (to test liars).
            delay: Seconds to wait before answering (cut short when the server stops).
            chunked: Send with chunked transfer encoding, so the client cannot know the size up front.
            trickle: With ``chunked``, wait this long between 16-byte chunks.
        """
        self.routes[path] = Route(body, content_type, status, dict(headers or {}), delay, chunked, trickle)

    def redirect(self, path: str, to: str, status: int = 302) -> None:
        """Redirect ``path`` to ``to``, a path on this server or an absolute URL."""
        location = self.url(to) if to.startswith("/") else to
        self.add(path, b"", content_type=None, status=status, headers={"Location": location})

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` on this server."""
        return f"http://{self.server_address[0]}:{self.server_address[1]}{path}"

    def __enter__(self) -> LocalHTTPServer:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stopping.set()  # wakes delayed handlers, so teardown never waits out a delay
        self.shutdown()
        self.server_close()
        self._thread.join()

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that hangs up mid-response (timeout, size limit) is what some tests are about.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class _Handler(BaseHTTPRequestHandler):
    server: LocalHTTPServer
    protocol_version = "HTTP/1.1"  # chunked transfer encoding needs it
    timeout = 5  # a client that neither sends nor hangs up cannot hold a thread forever

    def do_GET(self) -> None:
        self.close_connection = True  # one request per connection: no idle keep-alive threads at teardown
        self.server.requests.append(
            RecordedRequest(self.command, self.path, {k.lower(): v for k, v in self.headers.items()})
        )
        route = self.server.routes.get(urlsplit(self.path).path)
        if route is None:
            route = Route(b"not found", "text/plain", status=404)
        if route.delay and self.server.stopping.wait(route.delay):
            return  # torn down mid-delay: the client has long given up
        self.send_response(route.status)
        if route.content_type is not None:
            self.send_header("Content-Type", route.content_type)
        if route.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif "content-length" not in {name.lower() for name in route.headers}:
            self.send_header("Content-Length", str(len(route.body)))
        for name, value in route.headers.items():
            self.send_header(name, value)
        self.send_header("Connection", "close")
        self.end_headers()
        if not route.chunked:
            self.wfile.write(route.body)
            return
        size = 16 if route.trickle else _CHUNK
        for start in range(0, len(route.body), size):
            piece = route.body[start : start + size]
            self.wfile.write(f"{len(piece):X}\r\n".encode() + piece + b"\r\n")
            self.wfile.flush()
            if route.trickle and self.server.stopping.wait(route.trickle):
                return
        self.wfile.write(b"0\r\n\r\n")

    do_POST = do_GET

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output clean; ``server.requests`` is the record


class RawResponseServer(socketserver.ThreadingTCPServer):
    """Answers every connection on 127.0.0.1 with the same raw bytes, however broken: for hostile-server tests.

    The request is read up to its blank line and ignored; ``response`` is then written as is and the
    connection closed. Set ``response`` before each fetch.
    """

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _RawHandler)
        self.response = b""
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)

    def url(self, path: str = "/") -> str:
        """The absolute URL of ``path`` on this server."""
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def __enter__(self) -> RawResponseServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join()

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that hung up is expected here
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class _RawHandler(socketserver.BaseRequestHandler):
    server: RawResponseServer

    def handle(self) -> None:
        self.request.settimeout(5)
        received = b""
        while b"\r\n\r\n" not in received and len(received) < 65536:
            piece = self.request.recv(4096)
            if not piece:
                return
            received += piece
        self.request.sendall(self.server.response)


@pytest.fixture
def http_server() -> Iterator[LocalHTTPServer]:
    """A started ``LocalHTTPServer``, stopped after the test."""
    with LocalHTTPServer() as server:
        yield server


class FakeResolver:
    """Our ``Resolver``: answers from a table (never the system's DNS) and records each question."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.asked: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if host not in self.table:
            raise OSError(f"no such host {host}")
        return self.table[host]
