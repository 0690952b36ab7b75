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


class MissingPromptVariable(NewsdeskError):
    """A prompt file's placeholders and the variables given to it differ (a missing or an unexpected one)."""

    def __init__(self, path: str, missing: list[str], unexpected: list[str]) -> None:
        parts = [f"missing ${', $'.join(missing)}" if missing else "", f"unexpected {', '.join(unexpected)}"
                 if unexpected else ""]
        super().__init__(f"prompt {path}: {'; '.join(p for p in parts if p)}")
        self.path, self.missing, self.unexpected = path, missing, unexpected


class LLMUnavailable(NewsdeskError):
    """The model could not be reached or gave no usable answer (the caller falls back to quoting)."""

    retryable = True
