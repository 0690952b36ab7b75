"""The time budget the property tests rely on must itself fail on slow and hanging calls."""

from __future__ import annotations

import time

import pytest

from tests.budget import OverBudget, time_budget, within


def _spin(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_a_call_within_its_budget_returns_its_value() -> None:
    assert within(1.0, sorted, [3, 1, 2]) == [1, 2, 3]


def test_a_slow_call_fails_on_the_cpu_it_used() -> None:
    with pytest.raises(OverBudget, match=r"used 0\.1\d s of CPU \(budget 0\.1 s\)"):
        within(0.1, _spin, 0.15)


def test_a_spinning_call_is_interrupted() -> None:
    started = time.perf_counter()
    with pytest.raises(OverBudget, match=r"still running after 0\.2 s of CPU"), time_budget(0.1, "the loop"):
        while True:
            pass
    assert time.perf_counter() - started < 5.0, "the CPU timer should stop the loop at twice the budget"


def test_a_blocked_call_is_interrupted_by_the_wall_clock() -> None:
    started = time.perf_counter()
    with pytest.raises(OverBudget, match=r"still running after 1\.0 s \(budget"), time_budget(0.05, "the sleep"):
        time.sleep(30)
    assert time.perf_counter() - started < 5.0, "the wall-clock alarm should stop the sleep"
