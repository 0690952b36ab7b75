"""``newsdesk telegram`` failing to start: one line naming the cause, exit 1, no traceback and never the token.

The real process runs against the fake Bot API on 127.0.0.1 (a wrong token: 401; a wrong API URL: 404) and
against a port nothing listens on (no network).
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.fake_bot_api import TOKEN, FakeBotApiServer

# A token Telegram would accept the shape of, that the fake does not know.
WRONG_TOKEN = "654321:AAF-wrong-token-for-tests_fedcba9876543210"


async def _run_telegram(tmp_path: Path, token: str, api_url: str) -> tuple[int, str]:
    """Run ``newsdesk telegram`` to its end; its exit code and everything it printed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}
    env |= {"NEWSDESK_TELEGRAM_TOKEN": token, "NEWSDESK_TELEGRAM_API_URL": api_url,
            "NEWSDESK_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(ROOT)}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "telegram", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), 60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode, output.decode()


def _assert_one_clean_line(code: int, output: str, token: str, expected: str) -> None:
    assert code == 1, output
    assert "Traceback" not in output, output
    assert token.lower() not in output.lower(), output
    errors = [line for line in output.splitlines() if "error" in line.lower()]
    assert errors == [line for line in errors if line.startswith("Error: ")], f"one error line only:\n{output}"
    assert len(errors) == 1 and expected in errors[0], output


@pytest.mark.parametrize(("use_wrong_token", "path"), [
    pytest.param(True, "", id="401-wrong-token"),
    pytest.param(False, "/not-the-bot-api", id="404-wrong-api-url"),
])
async def test_a_rejected_token_is_one_line_without_the_token(tmp_path: Path, use_wrong_token: bool, path: str) -> None:
    token = WRONG_TOKEN if use_wrong_token else TOKEN
    async with FakeBotApiServer() as api:
        code, output = await _run_telegram(tmp_path, token, f"http://127.0.0.1:{api.port}{path}")
    _assert_one_clean_line(code, output, token, "rejected the token")
    assert "<telegram-token>" in output and "NEWSDESK_TELEGRAM_API_URL" in output, output


async def test_no_network_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a free port: nothing listens on it once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code, output = await _run_telegram(tmp_path, TOKEN, f"http://127.0.0.1:{port}")
    _assert_one_clean_line(code, output, TOKEN, f"cannot reach the Bot API at http://127.0.0.1:{port}")
