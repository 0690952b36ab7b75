"""The bot's settings: ingest's, plus retrieval and answering. Built once at the entry point."""

from __future__ import annotations

from pydantic import Field

from ingest.settings import IngestSettings


class BotSettings(IngestSettings):
    """Everything ``newsdesk`` reads from the environment (prefix ``NEWSDESK_``) or from ``.env``."""

    top_k: int = Field(default=5, ge=1, le=50, description="Passages retrieved for each question.")
    max_quotes: int = Field(default=3, ge=1, le=10, description="Most sentences quoted in an extractive answer.")
    min_relevance: float = Field(
        default=0.30, ge=-1.0, le=1.0,
        description="Cosine similarity below which the best passage counts as unrelated and the bot abstains "
        "(calibrated in docs/calibration.md).",
    )
