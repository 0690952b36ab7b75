"""A time budget for one call in property tests: a parser that takes longer fails the test instead of hanging it."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")


class OverBudget(AssertionError):
    """A call ran past its time budget (super-linear work on hostile input, or a hang)."""


@contextmanager
def time_budget(seconds: float, what: str = "the call") -> Iterator[None]:
    """Fail when the block runs longer than ``seconds``; a block that hangs is interrupted by SIGALRM.

    The alarm allows twice the budget, so a slow machine fails on the measured time with a clear message
    rather than on the interrupt.
    """

    def interrupt(signum: int, frame: object) -> None:
        raise OverBudget(f"{what} was still running after {2 * seconds:.1f} s (budget {seconds:.1f} s)")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 2 * seconds)
    started = time.perf_counter()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    elapsed = time.perf_counter() - started
    if elapsed > seconds:
        raise OverBudget(f"{what} took {elapsed:.2f} s (budget {seconds:.1f} s)")


def within(seconds: float, function: Callable[..., T], *args: object, **kwargs: object) -> T:
    """``function(*args, **kwargs)`` under ``time_budget(seconds)``."""
    with time_budget(seconds, getattr(function, "__qualname__", "the call")):
        return function(*args, **kwargs)
