"""The bot's settings: ingest's, plus retrieval, answering and Telegram. Built once at the entry point."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from ingest.settings import IngestSettings

# A numeric user id, or a username (5-32 letters, digits and underscores) with or without its @.
_ALLOWED_USER = re.compile(r"\d+|@?[A-Za-z][A-Za-z0-9_]{4,31}")


class BotSettings(IngestSettings):
    """Everything ``newsdesk`` reads from the environment (prefix ``NEWSDESK_``) or from ``.env``."""

    top_k: int = Field(default=5, ge=1, le=50, description="Passages retrieved for each question.")
    max_quotes: int = Field(default=3, ge=1, le=10, description="Most sentences quoted in an extractive answer.")
    research_k: int = Field(
        default=30, ge=1, le=100, description="Passages gathered for a research brief (`newsdesk research`, /research)."
    )
    research_min_relevance: float = Field(
        default=0.30, ge=-1.0, le=1.0,
        description="Cosine similarity every passage of a research brief must reach: a brief lists each passage it "
        "gathers, so it needs a floor per passage, where `ask` needs one for its best passage.",
    )
    min_relevance: float = Field(
        default=0.25, ge=-1.0, le=1.0,
        description="Cosine similarity below which the best passage counts as unrelated and the bot abstains "
        "(calibrated in docs/calibration.md).",
    )

    # Telegram (``newsdesk telegram``; see the README, section "Telegram").
    telegram_token: SecretStr | None = Field(
        default=None, description="Bot token from @BotFather; required by `newsdesk telegram`, never logged."
    )
    telegram_api_url: str = Field(
        default="https://api.telegram.org/bot",
        description="Bot API base URL; the token is appended to it. Change it for a self-hosted Bot API server, "
        "e.g. http://127.0.0.1:8081/bot.",
    )
    telegram_allowed_users: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description="Comma-separated user ids or @usernames allowed to use the bot; empty: everyone (warned at start).",
    )
    telegram_questions_per_minute: int = Field(
        default=10, ge=0, le=1000, description="Questions one Telegram user may ask per minute; 0: no limit."
    )

    # Answers written by a model (see the README, section "Answers written by a model"). Off by default.
    llm_provider: Literal["none", "openai", "ollama"] = Field(
        default="none",
        description="Who writes answers: none (quote the articles, offline), openai (any OpenAI-compatible "
        "endpoint) or ollama.",
    )
    llm_base_url: str | None = Field(
        default=None,
        description="Endpoint of the model, e.g. http://127.0.0.1:11434 (ollama) or http://127.0.0.1:8000/v1 "
        "(OpenAI-compatible); empty: the provider's default.",
    )
    llm_model: str | None = Field(default=None, description="Model name; required when a provider is set.")
    llm_api_key: SecretStr | None = Field(
        default=None, description="API key sent as a bearer token (openai only); never printed or logged."
    )
    llm_context_tokens: int = Field(
        default=3000, ge=512, le=200_000,
        description="Most cl100k tokens of prompt (instructions, question and passages) sent to the model.",
    )
    llm_answer_tokens: int = Field(default=400, ge=16, le=8000, description="Most tokens the model may write.")
    llm_timeout: float = Field(default=30.0, gt=0, le=600, description="Seconds to wait for one model call.")
    llm_max_retries: int = Field(
        default=2, ge=0, le=10, description="Retries (with backoff) after a timeout, 429 or 5xx before falling back."
    )
    llm_temperature: float = Field(default=0.0, ge=0.0, le=2.0, description="Sampling temperature of the model.")

    @field_validator("telegram_allowed_users", mode="before")
    @classmethod
    def _split_users(cls, value: object) -> object:
        """``"12345, @alice"`` → ``("12345", "@alice")``; anything but an id or a username is an error."""
        items = [v.strip() for v in value.replace(",", " ").split()] if isinstance(value, str) else value
        if isinstance(items, (list, tuple)):
            bad = [v for v in items if not (isinstance(v, str) and _ALLOWED_USER.fullmatch(v))]
            if bad:
                raise ValueError(f"not a user id or @username: {', '.join(map(str, bad))}")
            return tuple(items)
        return value
