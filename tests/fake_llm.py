"""Stand-ins on 127.0.0.1 for an OpenAI-compatible chat endpoint and Ollama's ``/api/chat``, driven by the real
``ChatOpenAI`` and ``ChatOllama`` clients in tests.

A test queues what the next requests get (``server.script``: a reply text, an HTTP status, a delay, a reply cut
off at the token limit, a malformed body); with nothing queued the server answers ``server.default``. Streaming
requests get SSE (``data: …`` lines ending in ``data: [DONE]``) or NDJSON (Ollama), in several pieces. Every
request is recorded with its headers and JSON body in ``server.requests``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass(frozen=True, slots=True)
class Step:
    """What one request gets. ``text`` with ``finish="length"`` is a reply cut off at the token limit."""

    text: str = ""
    status: int = 200
    delay: float = 0.0
    finish: str = "stop"
    raw: bytes | None = None  # a body sent as is (malformed JSON)
    pieces: int = 4  # streamed in this many pieces
    gap: float = 0.0  # seconds between two streamed pieces
    cut_after: int | None = None  # an error event ends the stream after this many pieces


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def prompt(self) -> str:
        return "\n".join(str(m.get("content", "")) for m in self.body.get("messages", []))


@dataclass
class FakeLLMServer:
    server: ThreadingHTTPServer
    script: list[Step] = field(default_factory=list)
    default: str = "The ingested articles do not answer this question."
    requests: list[Seen] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def next_step(self) -> Step:
        return self.script.pop(0) if self.script else Step(text=self.default)


def _pieces(text: str, count: int = 4) -> list[str]:
    size = max(1, len(text) // count)
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


class _Handler(BaseHTTPRequestHandler):
    fake: FakeLLMServer

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        fake = self.server.fake  # type: ignore[attr-defined]
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
        body = json.loads(raw or b"{}")
        fake.requests.append(Seen(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        step = fake.next_step()
        if step.delay and fake.stopping.wait(step.delay):
            return
        if step.raw is not None:
            return self._send(step.status, step.raw)
        if step.status != 200:
            error = {"error": {"message": f"stand-in status {step.status}", "type": "stand_in", "code": None}}
            return self._send(step.status, json.dumps(error).encode())
        if self.path.endswith("/chat/completions"):
            return self._openai(body, step)
        if self.path == "/api/chat":
            return self._ollama(body, step)
        return self._send(404, b"{}")

    def _openai(self, body: dict[str, Any], step: Step) -> None:
        fake = self.server.fake  # type: ignore[attr-defined]
        base = {"id": "c1", "created": int(time.time()), "model": body.get("model", "fake")}
        usage = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
        if not body.get("stream"):
            reply = {**base, "object": "chat.completion", "usage": usage, "choices": [
                {"index": 0, "finish_reason": step.finish, "message": {"role": "assistant", "content": step.text}}]}
            return self._send(200, json.dumps(reply).encode())
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for i, piece in enumerate(_pieces(step.text, step.pieces)):
            if i == step.cut_after:  # an error event mid-stream, as OpenAI sends one, and the end of the stream
                error = {"error": {"message": "stand-in failed mid-stream", "type": "server_error", "code": None}}
                self.wfile.write(f"data: {json.dumps(error)}\n\n".encode())
                self.wfile.flush()
                return
            if i and step.gap and fake.stopping.wait(step.gap):
                return
            chunk = {**base, "object": "chat.completion.chunk", "choices": [
                {"index": 0, "delta": {"role": "assistant", "content": piece}, "finish_reason": None}]}
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()
        last = {**base, "object": "chat.completion.chunk", "choices": [
            {"index": 0, "delta": {}, "finish_reason": step.finish}]}
        self.wfile.write(f"data: {json.dumps(last)}\n\ndata: [DONE]\n\n".encode())
        self.wfile.flush()

    def _ollama(self, body: dict[str, Any], step: Step) -> None:
        model = body.get("model", "fake")
        lines = [{"model": model, "created_at": "2026-01-01T00:00:00Z",
                  "message": {"role": "assistant", "content": piece}, "done": False} for piece in _pieces(step.text)]
        lines.append({"model": model, "created_at": "2026-01-01T00:00:00Z", "message": {"role": "assistant",
                      "content": ""}, "done": True, "done_reason": step.finish, "prompt_eval_count": 10,
                      "eval_count": 5})
        self._send(200, "".join(json.dumps(line) + "\n" for line in lines).encode(), "application/x-ndjson")


@contextmanager
def serve_fake_llm() -> Iterator[FakeLLMServer]:
    """A running stand-in; stopped on exit, even while a request waits out its delay."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    fake = FakeLLMServer(server)
    server.fake = fake  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.stopping.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def fake_llm() -> Iterator[FakeLLMServer]:
    """An OpenAI-compatible and Ollama stand-in on 127.0.0.1 for one test."""
    with serve_fake_llm() as fake:
        yield fake
