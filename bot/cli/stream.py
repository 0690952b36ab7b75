"""A model's answer streaming to the terminal as a dimmed draft, erased once the checked answer is ready.

The draft lets the reader see that the model is writing; it is never left on screen, because only the
checked answer (``bot.answering.checks``) may stay: ``clear()`` moves the cursor back over every row the
draft took (long lines wrap at the terminal's width) and erases to the end of the screen. Writes after
``clear()`` are dropped: a model call given up on may still be streaming in its thread.
"""

from __future__ import annotations

import re
import shutil
import threading
from typing import TextIO

# C0 controls but newline, DEL and C1 controls: a token must not move the cursor or set the title.
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")
DIM, RESET = "\x1b[2m", "\x1b[0m"


class TerminalDraft:
    """Writes streamed text dimmed to ``out`` (a terminal), remembering it so ``clear()`` can erase it."""

    def __init__(self, out: TextIO, width: int | None = None) -> None:
        self.out = out
        self.width = max(1, width or shutil.get_terminal_size().columns)
        self._text = ""
        self._closed = False
        self._lock = threading.Lock()

    def write(self, text: str) -> None:
        clean = _CONTROL.sub("\ufffd", text)
        with self._lock:
            if self._closed or not clean:
                return
            self.out.write(f"{DIM}{clean}{RESET}")
            self.out.flush()
            self._text += clean

    def rows(self) -> int:
        """Terminal rows the draft takes: each line, wrapped at ``width`` (one row at least)."""
        return sum(max(1, -(-len(line) // self.width)) for line in self._text.split("\n"))

    def clear(self) -> None:
        with self._lock:
            self._closed = True
            if not self._text:
                return
            up = self.rows() - 1
            self.out.write((f"\x1b[{up}A" if up else "") + "\r\x1b[J")
            self.out.flush()
            self._text = ""
