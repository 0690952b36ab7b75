import ast
import re
from pathlib import Path

from bot.settings import BotSettings
from tests.conftest import ROOT


def test_env_example_lists_every_setting() -> None:
    listed = set(re.findall(r"^(NEWSDESK_[A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    fields = {f"NEWSDESK_{name.upper()}" for name in BotSettings.model_fields}
    assert listed == fields, f"missing: {sorted(fields - listed)}, stale: {sorted(listed - fields)}"


def test_every_setting_is_described() -> None:
    assert all(field.description for field in BotSettings.model_fields.values())


def test_environment_overrides_defaults(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEWSDESK_TOP_K", "7")
    monkeypatch.setenv("NEWSDESK_DATA_DIR", str(tmp_path / "d"))
    settings = BotSettings()
    assert settings.top_k == 7 and settings.chroma_dir == tmp_path / "d" / "chroma"


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_ingest_never_imports_bot() -> None:
    offenders = [p.name for p in (ROOT / "ingest").rglob("*.py") if "bot" in _imports(p)]
    assert offenders == []


def test_only_the_store_talks_to_chroma() -> None:
    talkers = sorted(p.relative_to(ROOT).as_posix() for d in ("ingest", "bot") for p in (ROOT / d).rglob("*.py")
                     if "chromadb" in _imports(p) or "langchain_chroma" in _imports(p))
    # The store module, and the ingest/store_*.py modules it is split into once it grows (#14).
    assert "ingest/store.py" in talkers and all(re.fullmatch(r"ingest/store(_\w+)?\.py", t) for t in talkers), talkers


def test_only_settings_modules_touch_the_environment() -> None:
    readers = sorted(p.relative_to(ROOT).as_posix() for d in ("ingest", "bot") for p in (ROOT / d).rglob("*.py")
                     if "os.environ" in p.read_text() or "getenv" in p.read_text())
    assert readers == ["ingest/settings.py"]
