"""A stand-in for the Telegram Bot API: strict about HTML, served in-process or over HTTP on 127.0.0.1.

``FakeTelegram`` answers Bot API methods the way Telegram does, including its errors: a message whose HTML
Telegram would reject gets the same 400, a message over 4096 UTF-16 units is too long, callback data over
64 bytes is invalid. ``StubRequest`` plugs it into PTB as a ``BaseRequest`` (no sockets: for
``Application.process_update`` tests); ``FakeBotApiServer`` serves it over HTTP with long-polling getUpdates and
a setWebhook record (for end-to-end tests). Every sendMessage/editMessageText is checked by
``check_telegram_html`` (``tests.telegram_html_check``), and rejections are kept in ``rejected`` so a test can
assert there were none.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from telegram.request import BaseRequest, RequestData

from tests.telegram_html_check import MAX_TEXT, TelegramHTMLError, check_telegram_html, utf16_units

TOKEN = "123456:AAE-fake-token-for-tests_0123456789abcdef"
BOT = {"id": 123456, "is_bot": True, "first_name": "Newsdesk", "username": "newsdesk_test_bot",
       "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}
MAX_CALLBACK_DATA = 64
MAX_CAPTION = 1024
#: Bots may upload files up to 50 MB. SEE: https://core.telegram.org/bots/api#sending-files
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_STRING_PARAMS = {"text", "caption", "parse_mode", "callback_query_id", "url", "secret_token", "action",
                  "language_code"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


def _user(user_id: int, username: str | None) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": f"User{user_id}", **({"username": username} if username
                                                                               else {})}


def _chat(chat_id: int, chat_type: str) -> dict[str, Any]:
    return {"id": chat_id, "type": chat_type, **({"first_name": "Chat"} if chat_type == "private" else
                                                 {"title": "Group"})}


def entities_of(text: str) -> list[dict[str, Any]]:
    """A leading bot command and every @mention, with UTF-16 offsets as Telegram sends them."""
    found = []
    for match in re.finditer(r"(?:^/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?)|@[A-Za-z0-9_]{5,32}", text):
        kind = "bot_command" if match.group(0).startswith("/") else "mention"
        found.append({"type": kind, "offset": utf16_units(text[: match.start()]),
                      "length": utf16_units(match.group(0))})
    return found


class FakeTelegram:
    """The Bot API's behaviour, without transport: ``handle(method, params)`` → (HTTP status, JSON body)."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.rejected: list[tuple[Call, str]] = []
        self.messages: dict[int, dict[str, Any]] = {}
        self.updates: list[dict[str, Any]] = []
        self.webhook: dict[str, Any] | None = None
        #: Files sent with sendDocument, in order.
        self.documents: list[UploadedFile] = []
        self._chats: dict[int, str] = {}
        self._failures: dict[str, list[tuple[int, str, dict[str, Any]]]] = {}
        self._update_id = 0
        self._message_id = 1000

    # ---- what tests see ----
    def sent(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """The bot's messages (as Telegram stored them: ``text`` is the displayed text), oldest first."""
        return [m for m in self.messages.values() if m["from"]["is_bot"] and chat_id in (None, m["chat"]["id"])]

    def methods(self) -> list[str]:
        return [call.method for call in self.calls]

    def fail_next(self, method: str, code: int, description: str, **parameters: Any) -> None:
        """Answer the next call of ``method`` with an error, e.g. 429 with ``retry_after=1``."""
        self._failures.setdefault(method, []).append((code, description, parameters))

    # ---- building updates ----
    def _next_message_id(self) -> int:
        self._message_id += 1
        return self._message_id

    def message_update(self, chat_id: int, text: str, *, user_id: int | None = None, username: str | None = None,
                       chat_type: str = "private", reply_to: dict[str, Any] | None = None) -> dict[str, Any]:
        """An update carrying a user's text message, stored like Telegram stores it."""
        self._chats[chat_id] = chat_type
        message = {"message_id": self._next_message_id(), "date": int(time.time()), "chat": _chat(chat_id, chat_type),
                   "from": _user(user_id or chat_id, username), "text": text}
        if entities := entities_of(text):
            message["entities"] = entities
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        self.messages[message["message_id"]] = message
        return self._update(message=message)

    def callback_update(self, message: dict[str, Any], data: str, *, user_id: int | None = None,
                        username: str | None = None) -> dict[str, Any]:
        """An update for a press on a button of the bot's ``message``."""
        user = _user(user_id or message["chat"]["id"], username)
        query = {"id": f"cq{self._update_id + 1}", "from": user, "chat_instance": "ci", "data": data,
                 "message": message}
        return self._update(callback_query=query)

    def button_data(self, message: dict[str, Any], text: str) -> str:
        rows = message.get("reply_markup", {}).get("inline_keyboard", [])
        return next(b["callback_data"] for row in rows for b in row if b["text"] == text)

    def _update(self, **payload: Any) -> dict[str, Any]:
        self._update_id += 1
        return {"update_id": self._update_id, **payload}

    # ---- the Bot API ----
    def handle(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        call = Call(method, params)
        self.calls.append(call)
        if self._failures.get(method):
            code, description, parameters = self._failures[method].pop(0)
            return code, {"ok": False, "error_code": code, "description": description,
                          **({"parameters": parameters} if parameters else {})}
        try:
            result = self._dispatch(method, params)
        except TelegramHTMLError as error:
            self.rejected.append((call, str(error)))
            return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: can't parse entities: {error}"}
        except LookupError as error:
            return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {error}"}
        if result is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        return 200, {"ok": True, "result": result}

    def _dispatch(self, method: str, params: dict[str, Any]) -> Any:
        simple = {"getMe": BOT, "sendChatAction": True, "answerCallbackQuery": True, "deleteWebhook": True,
                  "close": True, "logOut": True, "deleteMyCommands": True}
        if method in simple:
            if method == "deleteWebhook":
                self.webhook = None
            if method == "answerCallbackQuery" and len(params.get("text") or "") > 200:
                raise LookupError("text of the callback answer is too long")
            return simple[method]
        if method == "setMyCommands":
            for command in params["commands"]:
                if not re.fullmatch(r"[a-z0-9_]{1,32}", command["command"]) or not 3 <= len(
                        command["description"]) <= 256:
                    raise LookupError(f"BOT_COMMAND_INVALID: {command}")
            return True
        if method == "setWebhook":
            self.webhook = {"url": params["url"], "secret_token": params.get("secret_token")}
            return True
        if method == "getWebhookInfo":
            return {"url": (self.webhook or {}).get("url", ""), "has_custom_certificate": False,
                    "pending_update_count": len(self.updates)}
        if method in ("sendMessage", "editMessageText"):
            return self._message(method, params)
        if method == "sendDocument":
            return self._document(params)
        return None

    def _document(self, params: dict[str, Any]) -> dict[str, Any]:
        """sendDocument with the file uploaded as multipart/form-data (a file id or URL is not supported here)."""
        document = params.get("document")
        if not isinstance(document, UploadedFile):
            raise LookupError(f"wrong file identifier/HTTP URL specified: {document!r}")
        if not document.content:
            raise LookupError("file must be non-empty")
        if len(document.content) > MAX_UPLOAD_BYTES:
            raise LookupError("Request Entity Too Large")
        caption = str(params.get("caption") or "")
        shown = check_telegram_html(caption, MAX_CAPTION) if params.get("parse_mode") == "HTML" else caption
        if len(shown) > MAX_CAPTION:
            raise TelegramHTMLError("message caption is too long")
        chat_id = int(params["chat_id"])
        message = {"message_id": self._next_message_id(), "from": BOT, "date": int(time.time()),
                   "chat": _chat(chat_id, self._chats.get(chat_id, "private")),
                   "document": {"file_id": f"doc{len(self.documents)}", "file_unique_id": f"u{len(self.documents)}",
                                "file_name": document.file_name, "mime_type": document.mime_type,
                                "file_size": len(document.content)}}
        if shown:
            message["caption"] = shown
        self.documents.append(document)
        self.messages[message["message_id"]] = message
        return message

    def _message(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        text = str(params["text"])
        shown = check_telegram_html(text) if params.get("parse_mode") == "HTML" else text
        if params.get("parse_mode") != "HTML" and (not shown.strip() or utf16_units(shown) > MAX_TEXT):
            raise TelegramHTMLError("message is empty or too long")
        for row in (params.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                if len(button.get("callback_data", "").encode()) > MAX_CALLBACK_DATA or not button["text"]:
                    raise LookupError(f"BUTTON_DATA_INVALID: {button}")
        chat_id = int(params["chat_id"])
        if method == "editMessageText":
            message = self.messages[int(params["message_id"])]
        else:
            message = {"message_id": self._next_message_id(), "chat": _chat(chat_id, self._chats.get(chat_id,
                                                                                                     "private")),
                       "from": BOT}
            if reply := params.get("reply_parameters"):
                message["reply_to_message"] = self.messages.get(int(reply["message_id"]))
        message.update(date=int(time.time()), text=shown, html=text)
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        self.messages[message["message_id"]] = message
        return {k: v for k, v in message.items() if k != "html"}


@dataclass(frozen=True)
class UploadedFile:
    """A file a method received as multipart/form-data (sendDocument's ``document``)."""

    file_name: str | None
    mime_type: str | None
    content: bytes


def _with_files(params: dict[str, Any], files: dict[str, UploadedFile]) -> dict[str, Any]:
    """``params`` with each uploaded file in its field; PTB names a file by its field, or by "attach://<name>"."""
    merged = {**params, **{name: f for name, f in files.items() if name in params or not name.startswith("attach")}}
    for key, value in params.items():
        if isinstance(value, str) and value.startswith("attach://") and value[9:] in files:
            merged[key] = files[value[9:]]
    return merged


class StubRequest(BaseRequest):
    """PTB's transport replaced by ``FakeTelegram``, in-process (PTB's own tests do the same: ``OfflineRequest``)."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake

    @property
    def read_timeout(self) -> float:
        return 1.0

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         **timeouts: Any) -> tuple[int, bytes]:
        token_part, name = url.rsplit("/", 2)[-2:]
        if token_part != f"bot{self.fake.token}":
            return 401, b'{"ok": false, "error_code": 401, "description": "Unauthorized"}'
        params = dict(request_data.parameters) if request_data else {}
        if request_data is not None and request_data.contains_files:
            files = {field: UploadedFile(file_name, mime_type, bytes(content))
                     for field, (file_name, content, mime_type) in request_data.multipart_data.items()}
            params = _with_files(params, files)
        status, body = self.fake.handle(name, params)
        return status, json.dumps(body).encode()


def _decode_form(form: Any) -> dict[str, Any]:
    # PTB sends form fields; everything but plain strings is JSON-encoded (chat_id=42, reply_markup={...}).
    params = {}
    for key, value in form.items():
        if key in _STRING_PARAMS:
            params[key] = value
            continue
        try:
            params[key] = json.loads(value)
        except ValueError:
            params[key] = value
    return params


async def _health(request: web.Request) -> web.Response:
    return web.Response(text="ok")


class FakeBotApiServer:
    """``FakeTelegram`` over HTTP on 127.0.0.1 (free port), with long-polling getUpdates; an async context manager."""

    def __init__(self, fake: FakeTelegram | None = None, *, echo_url_in_errors: bool = False) -> None:
        self.fake = fake or FakeTelegram()
        self.echo_url_in_errors = echo_url_in_errors
        self._changed = asyncio.Condition()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def __aenter__(self) -> FakeBotApiServer:
        app = web.Application()
        app.router.add_get("/health", _health)
        app.router.add_route("*", "/bot{token}/{method}", self._serve)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()  # port 0: the OS picks a free one
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        # Wake pending long polls first, or teardown waits out their timeout.
        async with self._changed:
            self._closing = True
            self._changed.notify_all()
        assert self._runner is not None
        await self._runner.cleanup()

    async def push(self, update: dict[str, Any]) -> None:
        """Queue ``update`` for getUpdates."""
        async with self._changed:
            self.fake.updates.append(update)
            self._changed.notify_all()

    async def wait_for(self, predicate: Any, timeout: float = 5.0) -> None:
        """Wait until ``predicate(fake)`` holds; raises ``TimeoutError`` with the calls so far."""
        async def _wait() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: predicate(self.fake))
        try:
            await asyncio.wait_for(_wait(), timeout)
        except TimeoutError:
            raise TimeoutError(f"condition not met in {timeout}s; calls: {self.fake.methods()[-20:]}") from None

    async def _serve(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.fake.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        form = await request.post() if request.content_type in FORM_TYPES else {}
        files = {key: UploadedFile(value.filename, value.content_type, value.file.read())
                 for key, value in form.items() if isinstance(value, web.FileField)}
        params = _with_files(_decode_form({k: v for k, v in form.items() if k not in files}), files)
        if method == "getUpdates":
            return await self._get_updates(params)
        async with self._changed:
            status, body = self.fake.handle(method, params)
            if status != 200 and self.echo_url_in_errors:
                body["description"] += f" (request {request.url})"
            self._changed.notify_all()
        return web.json_response(body, status=status)

    async def _get_updates(self, params: dict[str, Any]) -> web.Response:
        async with self._changed:
            self.fake.calls.append(Call("getUpdates", params))
            self._changed.notify_all()
        if self.fake.webhook:
            return web.json_response({"ok": False, "error_code": 409, "description":
                                      "Conflict: can't use getUpdates method while webhook is active"}, status=409)
        offset, timeout = int(params.get("offset") or 0), float(params.get("timeout") or 0)
        deadline = asyncio.get_running_loop().time() + timeout
        async with self._changed:
            while True:
                self.fake.updates = [u for u in self.fake.updates if u["update_id"] >= offset]
                remaining = deadline - asyncio.get_running_loop().time()
                if self.fake.updates or self._closing or remaining <= 0:
                    batch = self.fake.updates[: int(params.get("limit") or 100)]
                    return web.json_response({"ok": True, "result": batch})
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), remaining)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApiServer]:
    """The fake Bot API on 127.0.0.1 for one test; Telegram would have rejected nothing it was sent."""
    async with FakeBotApiServer() as server:
        yield server
    assert server.fake.rejected == [], "Telegram would have rejected these messages"
