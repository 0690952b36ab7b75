"""A time budget for one call in property tests: a parser that takes longer fails the test instead of hanging it.

The budget is CPU time of this process, not wall time: super-linear work shows in CPU time whatever else the
machine is doing, while a loaded CI machine (or other test processes) would make a wall-clock budget flaky.
A call that blocks without burning CPU is still stopped by a generous wall-clock alarm.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")
#: A blocked call (no CPU used) is interrupted after this many times its budget of wall time.
WALL_FACTOR = 20


class OverBudget(AssertionError):
    """A call ran past its time budget (super-linear work on hostile input, or a hang)."""


@contextmanager
def time_budget(seconds: float, what: str = "the call") -> Iterator[None]:
    """Fail when the block uses more than ``seconds`` of CPU; a block that hangs is interrupted.

    A CPU-bound hang is interrupted at twice the budget (SIGPROF), so a slow machine fails on the measured time
    with a clear message rather than on the interrupt; a blocked one at ``WALL_FACTOR`` times it (SIGALRM).
    """

    def cpu_interrupt(signum: int, frame: object) -> None:
        raise OverBudget(f"{what} was still running after {2 * seconds:.1f} s of CPU (budget {seconds:.1f} s)")

    def wall_interrupt(signum: int, frame: object) -> None:
        raise OverBudget(f"{what} was still running after {WALL_FACTOR * seconds:.1f} s (budget {seconds:.1f} s)")

    previous_prof = signal.signal(signal.SIGPROF, cpu_interrupt)
    previous_alarm = signal.signal(signal.SIGALRM, wall_interrupt)
    signal.setitimer(signal.ITIMER_PROF, 2 * seconds)
    signal.setitimer(signal.ITIMER_REAL, WALL_FACTOR * seconds)
    started = time.process_time()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGPROF, previous_prof)
        signal.signal(signal.SIGALRM, previous_alarm)
    used = time.process_time() - started
    if used > seconds:
        raise OverBudget(f"{what} used {used:.2f} s of CPU (budget {seconds:.1f} s)")


def within(seconds: float, function: Callable[..., T], *args: object, **kwargs: object) -> T:
    """``function(*args, **kwargs)`` under ``time_budget(seconds)``."""
    with time_budget(seconds, getattr(function, "__qualname__", "the call")):
        return function(*args, **kwargs)
