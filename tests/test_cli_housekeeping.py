"""`newsdesk info` and `newsdesk reset` (#16): what the data directory holds, secrets hidden; start over."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from pydantic import Field, SecretStr

from bot.cli.app import cli
from bot.cli.housekeeping import HIDDEN, settings_in_effect
from bot.settings import BotSettings
from tests.conftest import SAMPLES

TOKEN = "123456:AAE-telegram-secret-token"
LLM_KEY = "sk-llm-secret-key-0123"


def _run(env: dict[str, str], *args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), env=env, input=input, catch_exceptions=False)


def test_info_counts_what_is_stored_and_hides_the_token(cli_env: dict[str, str]) -> None:
    env = {**cli_env, "NEWSDESK_TELEGRAM_TOKEN": TOKEN}
    empty = _run(env, "info")
    assert empty.exit_code == 0, empty.output
    assert "holds:           0 articles, 0 chunks, 0 outlets" in empty.stdout, empty.stdout
    assert _run(env, "ingest", "--quiet", str(SAMPLES)).exit_code == 0
    shown = _run(env, "info")
    assert f"data directory:  {cli_env['NEWSDESK_DATA_DIR']}" in shown.stdout, shown.stdout
    assert "holds:           6 articles, " in shown.stdout and "embedding model: all-MiniLM" in shown.stdout
    assert f"NEWSDESK_TELEGRAM_TOKEN={HIDDEN}" in shown.stdout, shown.stdout
    assert "NEWSDESK_TOP_K=5" in shown.stdout, "the settings in effect are listed"
    assert TOKEN not in shown.output and "AAE-telegram" not in shown.output, "the token never prints"
    facts = json.loads(_run(env, "info", "--json").stdout)
    assert facts["articles"] == 6 and facts["chunks"] > 6 and facts["outlets"] >= 2, facts
    assert facts["settings"]["NEWSDESK_TELEGRAM_TOKEN"] == HIDDEN


class SettingsWithAnLLM(BotSettings):
    """The LLM settings another part of #16's work adds; their key must be hidden the same way."""

    llm_api_key: SecretStr | None = Field(default=None, description="LLM key.")
    llm_base_url: str | None = Field(default=None, description="LLM server.")
    openai_key: str = Field(default="", description="A key kept as plain text by mistake.")


def test_every_secret_setting_is_hidden(tmp_path: Path) -> None:
    settings = SettingsWithAnLLM(data_dir=tmp_path, telegram_token=SecretStr(TOKEN), llm_api_key=SecretStr(LLM_KEY),
                                 llm_base_url="https://user:p4ssw0rd@llm.example/v1", openai_key=LLM_KEY,
                                 chroma_url="http://admin:hunter2@127.0.0.1:8000")
    shown = json.dumps(settings_in_effect(settings))
    for secret in (TOKEN, LLM_KEY, "p4ssw0rd", "hunter2"):
        assert secret not in shown, f"{secret} leaked: {shown}"
    effect = settings_in_effect(settings)
    assert effect["NEWSDESK_LLM_API_KEY"] == HIDDEN and effect["NEWSDESK_OPENAI_KEY"] == HIDDEN
    assert effect["NEWSDESK_LLM_BASE_URL"] == "https://user:***@llm.example/v1"
    assert effect["NEWSDESK_CHROMA_URL"] == "http://admin:***@127.0.0.1:8000"


def test_reset_asks_then_removes_the_collection_and_its_index(cli_env: dict[str, str]) -> None:
    assert _run(cli_env, "ingest", "--quiet", str(SAMPLES)).exit_code == 0
    assert _run(cli_env, "ask", "What did the mayor say about the cost of the flood barrier?").exit_code == 0
    index_root = Path(cli_env["NEWSDESK_DATA_DIR"]) / "index"
    assert any(index_root.iterdir()), "the first question cached the index"
    declined = _run(cli_env, "reset", input="n\n")
    assert declined.exit_code == 1 and "Aborted" in declined.output, declined.output
    assert "6 articles" in _run(cli_env, "info").stdout, "declining removes nothing"
    done = _run(cli_env, "reset", input="y\n")
    assert done.exit_code == 0, done.output
    assert "removed collection news_" in done.stdout and "(6 articles, " in done.stdout, done.stdout
    assert "removed index " in done.stdout, done.stdout
    assert not any(index_root.iterdir()), "the index cache is gone"
    assert "holds:           0 articles, 0 chunks, 0 outlets" in _run(cli_env, "info").stdout
    again = _run(cli_env, "reset", "--yes")
    assert again.exit_code == 0 and "nothing to remove" in again.stdout, again.output
    assert _run(cli_env, "ingest", "--quiet", str(SAMPLES)).exit_code == 0, "ingest works again after a reset"
    assert "6 articles" in _run(cli_env, "info").stdout
