"""The streamed draft on a terminal: dimmed, free of control characters, and erased row for row."""

from __future__ import annotations

import io

from bot.cli.stream import DIM, RESET, TerminalDraft


def test_draft_is_erased_over_every_row_it_wrapped_to() -> None:
    out = io.StringIO()
    draft = TerminalDraft(out, width=10)
    draft.write("The council approved")  # 20 characters: 2 rows at width 10
    draft.write(" it [1].\nNext")  # the first line grows to 28 (3 rows), then a 4-character line
    assert draft.rows() == 4
    draft.clear()
    assert out.getvalue() == f"{DIM}The council approved{RESET}{DIM} it [1].\nNext{RESET}\x1b[3A\r\x1b[J"


def test_control_characters_never_reach_the_terminal_and_late_writes_are_dropped() -> None:
    out = io.StringIO()
    draft = TerminalDraft(out, width=80)
    draft.write("a\x1b]52;c;ZXZpbA==\x07b\rc")
    assert "\x1b]" not in out.getvalue() and "\x07" not in out.getvalue() and "\r" not in out.getvalue()
    draft.clear()
    draft.write("late token")
    assert "late token" not in out.getvalue() and out.getvalue().endswith("\r\x1b[J")


def test_an_empty_draft_clears_nothing() -> None:
    out = io.StringIO()
    TerminalDraft(out, width=80).clear()
    assert out.getvalue() == ""
