"""The time budget the property tests rely on must itself fail on slow and hanging calls."""

from __future__ import annotations

import time

import pytest

from tests.budget import OverBudget, time_budget, within


def test_a_call_within_its_budget_returns_its_value() -> None:
    assert within(1.0, sorted, [3, 1, 2]) == [1, 2, 3]


def test_a_slow_call_fails_on_the_measured_time() -> None:
    with pytest.raises(OverBudget, match=r"budget 0\.1 s"):
        within(0.1, time.sleep, 0.15)


def test_a_hanging_call_is_interrupted() -> None:
    started = time.perf_counter()
    with pytest.raises(OverBudget, match="still running"), time_budget(0.1, "the loop"):
        while True:
            pass
    assert time.perf_counter() - started < 1.0, "the alarm should stop the loop at twice the budget"
