"""Opening Chroma: an on-disk store in the data directory, or a Chroma server (``chroma run``), maybe with a token.

Every collection handed out is wrapped so that a server that goes away (refused connection, dropped
connection, timeout) raises ``StoreUnavailable`` with a one-line message, never an httpx traceback: the
adapters turn that into a one-line error (CLI) or an apology (Telegram), and the next call simply tries again,
so a process recovers by itself when the server is back. The token is only ever put into a request header;
messages name the server's URL without its credentials.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import chromadb
import chromadb.errors
import httpx
from chromadb.api import ClientAPI
from chromadb.config import Settings as ChromaSettings

from ingest.settings import IngestSettings


class StoreUnavailable(RuntimeError):
    """Chroma could not be opened or reached; the message says where it was looked for."""


def server_label(url: str) -> str:
    """``url`` as messages show it: without a user name or password (``http://admin:pw@host`` → ``http://host``)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def where(settings: IngestSettings) -> str:
    """Where the store is, for messages: the server's URL (credentials removed) or the on-disk folder."""
    return server_label(settings.chroma_url) if settings.chroma_url else str(settings.chroma_dir)


def auth_headers(settings: IngestSettings) -> dict[str, str]:
    """The header that carries ``chroma_token``, the way Chroma's token authentication reads it.

    SEE: chromadb/auth/token_authn/__init__.py (``Authorization: Bearer <token>`` or ``X-Chroma-Token: <token>``)
    """
    if settings.chroma_token is None or not settings.chroma_token.get_secret_value():
        return {}
    token = settings.chroma_token.get_secret_value()
    if settings.chroma_auth_header == "Authorization":
        return {"Authorization": f"Bearer {token}"}
    return {"X-Chroma-Token": token}


def _unreachable(settings: IngestSettings, error: BaseException) -> StoreUnavailable:
    # One line: the first line of what the client said ("[Errno 111] Connection refused", "Could not connect to a
    # Chroma server. Are you sure it is running?"); our request headers, and so the token, are never part of it.
    detail = (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
    if isinstance(error, chromadb.errors.AuthorizationError | chromadb.errors.ChromaAuthError):
        detail = "the server refused the credentials (check NEWSDESK_CHROMA_TOKEN and NEWSDESK_CHROMA_AUTH_HEADER)"
    return StoreUnavailable(f"cannot reach the Chroma server at {where(settings)}: {detail}")


#: Errors that mean "the server is not there or not answering", as opposed to a bad request of ours.
_LOST = (httpx.TransportError, ConnectionError, chromadb.errors.AuthorizationError, chromadb.errors.ChromaAuthError)


class GuardedCollection:
    """A Chroma collection whose calls raise ``StoreUnavailable`` when the server cannot be reached."""

    def __init__(self, collection: Any, settings: IngestSettings) -> None:
        self._collection = collection
        self._settings = settings

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._collection, name)
        if not callable(attribute):
            return attribute

        @functools.wraps(attribute)
        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return attribute(*args, **kwargs)
            except _LOST as error:
                raise _unreachable(self._settings, error) from None

        return call


def guarded(settings: IngestSettings, action: Callable[[], Any]) -> Any:
    """``action()``, with a lost server reported as ``StoreUnavailable``."""
    try:
        return action()
    except _LOST as error:
        raise _unreachable(settings, error) from None


def open_client(settings: IngestSettings) -> ClientAPI:
    """A Chroma client: an HTTP client for ``chroma_url`` (with the token header), else an on-disk store."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        parts = urlsplit(settings.chroma_url)
        try:
            return chromadb.HttpClient(
                host=parts.hostname or "127.0.0.1",
                port=parts.port or (443 if parts.scheme == "https" else 8000),
                ssl=parts.scheme == "https",
                headers=auth_headers(settings) or None,
                settings=chroma_settings,
            )
        except Exception as error:  # chromadb raises plain ValueError/ConnectError/Exception(body) variants here
            raise _unreachable(settings, error) from None
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


def close_client(client: ClientAPI) -> None:
    """Release what ``client`` holds: an on-disk store's files, a server client's pooled HTTP connections.

    ``Client.close()`` stops the client's Chroma systems, but for a server each system's HTTP component keeps its
    ``httpx.Client`` (and the keep-alive sockets in its pool) open, to be found by the garbage collector as
    "unclosed socket" warnings, so they are closed here too: the client's own and the one of the admin client it
    builds beside it (with a system of its own, for checking the tenant and database). SEE: chromadb/api/fastapi.py
    (``FastAPI._session``, no ``stop()``), chromadb/api/client.py (``Client.__init__``, ``Client.close``).
    Idempotent.
    """
    owners = (client, getattr(client, "_admin_client", None))
    sessions = [getattr(getattr(owner, "_server", None), "_session", None) for owner in owners]
    close = getattr(client, "close", None)
    if callable(close):
        close()
    for session in sessions:
        if isinstance(session, httpx.Client):
            session.close()


@contextmanager
def opened_client(settings: IngestSettings) -> Iterator[ClientAPI]:
    """``open_client(settings)`` for the duration of a ``with`` block, closed afterwards."""
    client = open_client(settings)
    try:
        yield client
    finally:
        close_client(client)
