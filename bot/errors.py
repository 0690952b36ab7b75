"""Errors the user can act on. Each adapter maps ``NewsdeskError`` once (CLI: exit 1; Telegram: a reply)."""

from __future__ import annotations

from typing import ClassVar


class NewsdeskError(Exception):
    """An error with a message for the user that names the fix."""

    retryable: ClassVar[bool] = False

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class NoArticlesIngested(NewsdeskError):
    def __init__(self, user_message: str = "no articles ingested yet: run `newsdesk ingest PATH` first") -> None:
        super().__init__(user_message)


class StoreError(NewsdeskError):
    retryable = True


class QuestionTooLong(NewsdeskError):
    def __init__(self, length: int, limit: int) -> None:
        super().__init__(
            f"the question is {length:,} characters long; questions can be up to {limit:,}: ask a shorter one"
        )
