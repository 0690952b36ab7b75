"""Progress lines for long commands when stderr is not a terminal (a log file, a pipe, CI).

A line at the first item, then every ``every`` items or ``seconds`` seconds, whichever comes first, and one
at the end: how many, the rate, and the time left when the total is known. A first `eval multihop` embedding a
corpus printed nothing for 25 minutes off a terminal, and its user killed it (#16).
"""

from __future__ import annotations

import time
from collections.abc import Callable

#: A line at least this often (items) ...
EVERY_ITEMS = 100
#: ... and at least this often (seconds), so a slow run still shows it is alive.
EVERY_SECONDS = 10.0


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _plural(count: int, unit: str) -> str:
    if count == 1:
        return f"{count} {unit}"
    return f"{count} {unit[:-1]}ies" if unit.endswith("y") else f"{count} {unit}s"


class ProgressLines:
    """Counts items and writes a progress line now and then; ``total`` may be unknown (None) or change."""

    def __init__(self, what: str, unit: str, write: Callable[[str], None], *, total: int | None = None,
                 every: int = EVERY_ITEMS, seconds: float = EVERY_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.what, self.unit, self.write, self.total = what, unit, write, total
        self.every, self.seconds, self.clock = every, seconds, clock
        self.done = 0
        self._start = clock()
        self._last_line: float | None = None
        self._last_count = 0

    def line(self) -> str:
        """The current state in words, e.g. ``ingest: 120/609 articles, 19.7/s, about 25 s left``."""
        elapsed = max(self.clock() - self._start, 1e-9)
        rate = self.done / elapsed
        count = f"{self.done}/{_plural(self.total, self.unit)}" if self.total else _plural(self.done, self.unit)
        text = f"{self.what}: {count}, {rate:.1f}/s"
        if self.total and self.done and self.done < self.total:
            text += f", about {_duration((self.total - self.done) / rate)} left"
        return text

    def advance(self, done: int | None = None, total: int | None = None) -> None:
        """One more item done (or ``done`` items in all); writes a line when one is due."""
        self.done = self.done + 1 if done is None else done
        if total is not None:
            self.total = total
        now = self.clock()
        due = (self._last_line is None or self.done - self._last_count >= self.every
               or now - self._last_line >= self.seconds)
        if due:
            self.write(self.line())
            self._last_line, self._last_count = now, self.done

    def finish(self) -> None:
        """The closing line: how many in how long."""
        elapsed = self.clock() - self._start
        self.write(f"{self.what}: done, {_plural(self.done, self.unit)} in {_duration(elapsed)}")
