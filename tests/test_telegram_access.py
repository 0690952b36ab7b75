"""The allow-list, the per-user question limit, the one-refusal memory and the token redactor."""

from __future__ import annotations

import logging
import sys

from bot.telegram.access import (
    REDACTED,
    AccessPolicy,
    QuestionRateLimit,
    RateDecision,
    RefusalMemory,
    TokenRedactor,
)

TOKEN = "987654:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def test_the_allow_list_matches_ids_and_usernames_in_any_case() -> None:
    policy = AccessPolicy.from_entries(["42", "@Alice_W", "bob_the_builder"])
    assert policy.allows(42, None) and policy.allows(7, "alice_w") and policy.allows(8, "Bob_The_Builder")
    assert not policy.allows(7, None) and not policy.allows(7, "mallory") and not policy.everyone
    everyone = AccessPolicy.from_entries([])
    assert everyone.everyone and everyone.allows(1, None)


def test_each_outsider_is_refused_once() -> None:
    memory = RefusalMemory(size=2)
    assert [memory.first_time(u) for u in (1, 1, 2, 3, 1)] == [True, False, True, True, True], "1 was forgotten"


def test_the_question_limit_slides_per_user() -> None:
    now = [0.0]
    limit = QuestionRateLimit(2, window=60.0, clock=lambda: now[0])
    assert [limit.check(1), limit.check(1), limit.check(2)] == [0.0, 0.0, 0.0]
    assert limit.check(1) == 60.0
    now[0] = 45.0
    assert limit.check(1) == 15.0
    now[0] = 60.0  # both questions asked at 0 have left the window
    assert [limit.check(1), limit.check(1)] == [0.0, 0.0] and limit.check(1) == 60.0
    assert QuestionRateLimit(0).check(1) == 0.0, "0 means no limit"


def test_a_flooding_user_is_told_once_per_window_then_ignored() -> None:
    now = [0.0]
    limit = QuestionRateLimit(2, window=60.0, clock=lambda: now[0])
    assert [limit.decide(1), limit.decide(1)] == [RateDecision(True)] * 2
    assert limit.decide(1) == RateDecision(False, 60.0, tell=True)
    now[0] = 10.0
    assert [limit.decide(1) for _ in range(1000)] == [RateDecision(False, 50.0)] * 1000, "silence until the wait ends"
    assert limit.decide(2) == RateDecision(True), "other users are not affected"
    now[0] = 60.0
    assert limit.decide(1) == RateDecision(True), "the window has passed"
    assert limit.decide(1) == RateDecision(True)
    assert limit.decide(1) == RateDecision(False, 60.0, tell=True), "a new flood is told again, once"
    assert limit.decide(1).tell is False


def _record(message: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc else None
    return logging.LogRecord("telegram.ext", logging.ERROR, __file__, 1, message, args, exc_info)


def test_the_redactor_catches_the_token_in_messages_arguments_and_tracebacks() -> None:
    redactor, formatter = TokenRedactor(TOKEN), logging.Formatter()
    record = _record("POST https://api.telegram.org/bot%s/getMe %s", TOKEN, "ok")
    assert redactor.filter(record)
    assert formatter.format(record) == f"POST https://api.telegram.org/bot{REDACTED}/getMe ok"
    try:
        raise RuntimeError(f"Chat not found (request /bot{TOKEN.lower()}/sendmessage)")
    except RuntimeError as error:
        failed = _record("update %s failed", 3, exc=error)
        assert sys.exc_info()[1] is error
    redactor.filter(failed)
    text = formatter.format(failed)
    assert "Traceback" in text and f"/bot{REDACTED}/sendmessage" in text and TOKEN.lower() not in text.lower()
