"""Settings that ingest needs; ``bot.settings`` extends them. Built once per entry point.

This is the only module (with ``bot/settings.py``) that touches the process environment.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_PACKAGE_DATA = Path(__file__).parent / "data"


def use_bundled_tiktoken() -> None:
    """Point tiktoken at the BPE file shipped in the package, so it never downloads.

    tiktoken looks for a file named sha1(download URL) in ``TIKTOKEN_CACHE_DIR`` and checks its sha256
    against the hash it pins, so a corrupted file is rejected by tiktoken itself.
    SEE: tiktoken/load.py ``read_file_cached``.
    """
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(_PACKAGE_DATA / "tiktoken"))


class IngestSettings(BaseSettings):
    """Where the collection lives and how articles are chunked and embedded."""

    model_config = SettingsConfigDict(env_prefix="NEWSDESK_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default_factory=lambda: Path(platformdirs.user_data_dir("newsdesk")),
        description="Folder for the Chroma store and the local outlet registry.",
    )
    cache_dir: Path | None = Field(
        default=None,
        description="Folder for caches rebuilt whenever missing: the embedding model as optimized for this machine "
        "(about 90 MB) and the merged outlet registry; empty: data_dir/cache.",
    )
    chroma_url: str | None = Field(
        default=None,
        description="URL of a Chroma server (`chroma run`), e.g. http://127.0.0.1:8000; "
        "empty: on-disk store in data_dir.",
    )
    chroma_token: SecretStr | None = Field(
        default=None,
        description="Token for a Chroma server with token authentication; sent in chroma_auth_header, never "
        "logged or printed.",
    )
    chroma_auth_header: Literal["Authorization", "X-Chroma-Token"] = Field(
        default="Authorization",
        description="How chroma_token is sent: Authorization (as `Bearer <token>`) or X-Chroma-Token (as it is), "
        "whichever the server's token transport header is.",
    )
    index_recheck_seconds: float = Field(
        default=5.0, ge=0, le=3600,
        description="Most seconds a running process (the Telegram bot, a chat) answers from its search index before "
        "checking whether another process changed the collection; 0: check before every question.",
    )
    chunk_tokens: int = Field(
        default=200, ge=32, le=240,
        description="Chunk size in cl100k tokens; stays below the embedder's 256-word-piece window.",
    )
    chunk_overlap: int = Field(default=30, ge=0, le=100, description="Tokens shared by neighbouring chunks.")
    embed_batch_size: int = Field(default=32, ge=1, le=256, description="Texts per embedding batch.")
    embed_threads: int = Field(default=2, ge=1, le=64, description="onnxruntime intra-op threads for the embedder.")
    fetch_timeout: float = Field(default=15.0, gt=0, le=300, description="Seconds to wait for a web page or feed.")
    fetch_max_bytes: int = Field(
        default=5_000_000, ge=10_000, le=200_000_000, description="Largest web page or feed that is downloaded."
    )
    fetch_allow_private: bool = Field(
        default=False,
        description="Allow fetching from private, loopback, link-local and reserved addresses (an intranet "
        "server, 127.0.0.1); off, such URLs and redirects to them are refused (server-side request forgery).",
    )
    user_agent: str = Field(
        default="newsdesk/0.1 (news question-answering bot; +https://github.com/newsdesk/newsdesk)",
        description="User-Agent sent when fetching URLs.",
    )

    @field_validator("cache_dir", mode="before")
    @classmethod
    def _empty_is_default(cls, value: object) -> object:
        return None if value == "" else value

    @property
    def cache_folder(self) -> Path:
        """``cache_dir``, or ``data_dir/cache`` when it is not set."""
        return self.cache_dir or self.data_dir / "cache"

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"
