"""One bad stored value must not poison the collection (#10 item 3).

Bad values are written the way they reached users' stores: through our store module (which trusted what the
parsers gave it) and, for values no current code writes, straight into the Chroma collections (old records).
Then ``sources``, ``ask``, ``remove`` and the Telegram start-up must still work and show the value as unknown.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from click.testing import CliRunner
from telegram import Update

from bot.cli.app import cli
from bot.service import Newsdesk
from bot.settings import BotSettings
from bot.telegram.app import build_application
from ingest.articles import build_article
from ingest.chunking import chunk_article
from ingest.store import open_client
from ingest.types import OutletRef
from tests.fake_bot_api import TOKEN, FakeTelegram, StubRequest

BODY = ("The Port Aldren ferry operator agreed a new roster with the union on Monday, ending a three-week strike. "
        "Crews will work no more than ten hours a day, and the operator will hire twenty more deckhands by March.")
QUESTION = "What did the ferry operator agree with the union?"


def _poisoned_desk(desk: Newsdesk, tmp_path: Path) -> str:
    """A collection with one good article and one whose outlet, URL and date are bad; returns the bad one's id."""
    good = tmp_path / "good.json"
    good.write_text(json.dumps([{"title": "Seagrass", "body": "Divers replanted seagrass in the bay on Sunday.",
                                 "url": "https://harbourgazette.example/seagrass"}]))
    assert not desk.ingest([good]).failed
    poisoned = build_article(title="Ferry deal", paragraphs=[BODY], source=str(tmp_path / "old.json#Ferry deal"))
    poisoned = replace(poisoned, url="https://foo[bar.com/ferry",
                       publisher=OutletRef(name="Foo [Bar.com", domain="foo[bar.com"),
                       original=OutletRef(name="Foo\x00 [Bar.com", domain="exa\u2100mple.com"))
    chunks = chunk_article(poisoned.id, poisoned.body, max_tokens=200, overlap=30)
    assert desk.store.add_article(poisoned, chunks)  # the store writes what it is given, as before the fix
    desk.store.set_publication(poisoned)
    # Values no current code writes, but an older version or a hand edit could: fix them into the chunks too.
    client = open_client(desk.settings)
    chunk_collection = client.get_collection(desk.store.name)
    bad = {"published_at": "year 0", "original_domain": 42, "start": "x"}
    chunk_collection.update(ids=[c.id for c in chunks], metadatas=[bad for _ in chunks])
    client.get_collection(f"{desk.store.name}_articles").update(ids=[poisoned.id], metadatas=[
        {"published_at": "0001-01-01T00:00:00+01:00", "chunk_count": "many", "evidence": "[[[", "publisher_name": 7}])
    return poisoned.id


def test_sources_ask_and_remove_survive_a_bad_outlet_url_and_date(
    desk: Newsdesk, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    bad_id = _poisoned_desk(desk, tmp_path)
    runner = CliRunner()
    listed = runner.invoke(cli, ["sources"], env=cli_env, catch_exceptions=False)
    assert listed.exit_code == 0, listed.output
    assert bad_id in listed.output and "Seagrass" in listed.output, listed.output
    as_json = runner.invoke(cli, ["sources", "--json"], env=cli_env, catch_exceptions=False)
    assert as_json.exit_code == 0 and bad_id in as_json.output, as_json.output

    answer = runner.invoke(cli, ["ask", QUESTION], env=cli_env, catch_exceptions=False)
    assert answer.exit_code == 0, answer.output
    assert "deckhands" in answer.output or "roster" in answer.output, answer.output
    assert "Foo [Bar.com" in answer.output, "the bad outlet name is shown as an unknown outlet"
    assert "foo[bar.com" not in answer.output, "an invalid domain is never shown"

    removed = runner.invoke(cli, ["remove", bad_id], env=cli_env, catch_exceptions=False)
    assert removed.exit_code == 0 and f"removed {bad_id}" in removed.output, removed.output


async def test_the_telegram_bot_starts_and_lists_sources_despite_a_bad_record(
    desk: Newsdesk, tmp_path: Path, settings: BotSettings
) -> None:
    bad_id = _poisoned_desk(desk, tmp_path)
    fresh = Newsdesk(settings, embeddings=desk.embeddings)  # a new process: no cached index or retriever
    config = BotSettings(_env_file=None, data_dir=settings.data_dir, telegram_token=TOKEN)
    fake = FakeTelegram()
    app = build_application(config, fresh, request=StubRequest(fake))
    await app.initialize()
    try:
        assert app.post_init is not None
        await app.post_init(app)  # what run_polling does first: the start-up that used to crash
        await app.process_update(Update.de_json(fake.message_update(4242, "/sources"), app.bot))
        await app.process_update(Update.de_json(fake.message_update(4242, QUESTION), app.bot))
    finally:
        await app.shutdown()
    texts = [m["text"] for m in fake.sent()]
    assert any("Ferry deal" in t for t in texts) and any("Seagrass" in t for t in texts), texts
    assert any("deckhands" in t or "roster" in t for t in texts), texts
    assert fake.rejected == [], "Telegram would have rejected these messages"
    assert bad_id


def test_json_outlet_names_urls_and_domains_are_checked_on_the_way_in(desk: Newsdesk, tmp_path: Path) -> None:
    records = [
        {"title": "Ferry deal", "body": BODY, "source": " Foo\u200b\x07 [Bar.com\n", "publisher": "\x00\x01"},
        {"title": "Bad URL", "body": "Another text entirely, about a market.", "url": "https://foo[bar.com/x"},
    ]
    path = tmp_path / "in.json"
    path.write_text(json.dumps(records))
    report = desk.ingest([path])
    assert [f.source for f in report.failed] == [f"{path}#1 (Bad URL)"], report.failed
    (record,) = desk.sources()
    assert record.original == OutletRef(name="Foo [Bar.com", domain=None), record
    assert record.publisher == OutletRef(name="Foo [Bar.com", domain=None), "a blank publisher is no claim"
