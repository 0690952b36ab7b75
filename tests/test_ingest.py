"""Ingest runs end to end against a real on-disk Chroma: updates, removals, syndicated copies, URLs, bad input."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from click.testing import CliRunner

from bot.cli.app import cli
from bot.service import Newsdesk
from bot.settings import BotSettings
from ingest.articles import read_article_file
from ingest.embedder import MiniLMEmbeddings
from tests.conftest import SAMPLES
from tests.local_http import LocalHTTPServer

DATA = Path(__file__).parent / "data"
BODY_A = ("The Port Aldren ferry operator agreed a new roster with the union on Monday, ending a three-week strike. "
          "Crews will work no more than ten hours a day, and the operator will hire twenty more deckhands by March.")
BODY_B = ("The Port Aldren ferry operator and the union failed to agree a new roster on Monday, and the strike "
          "enters its fourth week. Mediator Ruth Adeyemi said both sides would meet again on Thursday.")


def _write_json(path: Path, records: list[dict[str, str]]) -> Path:
    path.write_text(json.dumps(records))
    return path


def _chunk_texts(desk: Newsdesk) -> list[str]:
    return [p.text for p in desk.store.search("ferry strike roster union", k=100)]


def test_changed_text_at_the_same_url_replaces_the_old_chunks(desk: Newsdesk, tmp_path: Path) -> None:
    url = "https://harbourgazette.example/2026/11/ferry"
    first = desk.ingest([_write_json(tmp_path / "a.json", [{"title": "Ferry", "body": BODY_A, "url": url}])])
    assert len(first.added) == 1
    second = desk.ingest([_write_json(tmp_path / "b.json", [{"title": "Ferry", "body": BODY_B, "url": url}])])
    assert second.updated and not second.added, second
    texts = _chunk_texts(desk)
    assert any("fourth week" in t for t in texts)
    assert not any("twenty more deckhands" in t for t in texts), "stale chunks of the old text remain"
    assert [r.id for r in desk.sources()] == second.updated
    assert desk.store.count_chunks() == desk.sources()[0].chunk_count


def test_edited_local_file_is_an_update(desk: Newsdesk, tmp_path: Path) -> None:
    story = tmp_path / "story.txt"
    story.write_text(f"Ferry deal\n{BODY_A}\n")
    assert len(desk.ingest([story]).added) == 1
    story.write_text(f"Ferry deal\n{BODY_B}\n")
    report = desk.ingest([story])
    assert len(report.updated) == 1 and len(desk.sources()) == 1
    assert desk.ingest([story]).unchanged == report.updated


def test_exact_copy_elsewhere_is_one_article_with_two_publications(desk: Newsdesk, tmp_path: Path) -> None:
    records = [
        {"title": "Ferry deal", "body": BODY_A, "url": "https://meridianwire.example/ferry", "source": "Meridian Wire"},
        {"title": "Ferry deal reached", "body": BODY_A, "url": "https://valleydigest.example/ferry",
         "source": "Valley Daily Digest"},
    ]
    report = desk.ingest([_write_json(tmp_path / "copies.json", records)])
    assert len(report.added) == 1 and report.linked == report.added
    assert report.syndicated[0].similarity == 1.0
    publications = desk.store.publications(report.added[0])
    assert sorted(p.url for p in publications) == ["https://meridianwire.example/ferry",
                                                   "https://valleydigest.example/ferry"]
    assert desk.store.count_chunks() == desk.sources()[0].chunk_count, "a copy must not be embedded twice"


def test_near_copy_is_linked_and_credits_the_original_outlet(desk: Newsdesk, tmp_path: Path) -> None:
    body = read_article_file(SAMPLES / "02-flood-barrier-council-vote.txt").body
    original = {"title": "Barrier approved", "body": body, "url": "https://meridianwire.example/barrier",
                "source": "Meridian Wire", "published_at": "2026-10-22T08:00:00Z"}
    # A republisher's copy: one phrase edited and a line of its own added; no credit line.
    copy = {"title": "Council backs barrier", "url": "https://valleydigest.example/barrier",
            "body": body.replace("seven votes to six", "a 7-6 vote") + "\n\nShare this story with your neighbours.",
            "published_at": "2026-10-22T11:00:00Z"}
    report = desk.ingest([_write_json(tmp_path / "near.json", [original, copy])])
    assert len(report.added) == 2 and len(report.syndicated) == 1
    link = report.syndicated[0]
    assert link.copy_of == report.added[0] and 0.8 <= link.similarity < 1.0
    record = desk.store.article(report.added[1])
    assert record is not None and record.duplicate_of == report.added[0]
    assert record.original is not None and record.original.name == "Meridian Wire"
    assert any(e.rule == "near-duplicate" for e in desk.store.article_evidence(report.added[1]))


def test_unrelated_articles_on_the_same_topic_are_not_copies(desk: Newsdesk, tmp_path: Path) -> None:
    records = [{"title": "A", "body": BODY_A, "url": "https://a.example/1"},
               {"title": "B", "body": BODY_B, "url": "https://b.example/1"}]
    assert desk.ingest([_write_json(tmp_path / "two.json", records)]).syndicated == []


def test_dates_are_filterable(desk: Newsdesk) -> None:
    desk.ingest([DATA / "articles.json", DATA / "feed-full.xml"])
    since = int(datetime.fromisoformat("2026-11-12T00:00:00+00:00").timestamp())
    found = desk.store.search("news", k=20, where={"published_ts": {"$gte": since}})
    assert {p.title for p in found} == {"Marina expansion approved", "Night market returns"}
    assert all(p.published_at and p.published_at >= "2026-11-12" for p in found)


def test_url_page_and_summary_feed_fetch_linked_pages(tmp_path: Path, embeddings: MiniLMEmbeddings,
                                                       http_server: LocalHTTPServer, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    desk = Newsdesk(BotSettings(data_dir=tmp_path / "d", fetch_allow_private=True), embeddings=embeddings)
    http_server.add("/2026/10/harbour-reopens", (DATA / "gazette-harbour.html").read_bytes())
    http_server.add("/story-2", b"", status=404)
    feed = f"""<?xml version="1.0"?><rss version="2.0"><channel><title>Gazette</title>
    <link>{http_server.url("/")}</link>
    <item><title>Harbour reopens</title><link>{http_server.url("/2026/10/harbour-reopens")}</link>
    <description>Short teaser.</description></item>
    <item><title>Gone</title><link>{http_server.url("/story-2")}</link><description>Teaser.</description></item>
    </channel></rss>"""
    http_server.add("/feed.rss", feed.encode(), content_type="application/rss+xml")
    report = desk.ingest([http_server.url("/feed.rss")])
    # The entry whose page is gone keeps the feed's own text, with a one-line note why (#11).
    assert len(report.added) == 2 and report.failed == [], report
    notes = [e.text for e in desk.store.article_evidence(report.added[1]) if e.rule == "feed-text-only"]
    assert notes == ["linked article from the feed: HTTP 404 Not Found; kept the feed's own text"], notes
    record = next(r for r in desk.sources() if r.id == report.added[0])
    assert record.title == "Harbour reopens after storm"  # the full page, not the teaser
    assert desk.store.article_body(record.id).startswith("Port Aldren's inner harbour reopened")
    paths = [r.path for r in http_server.requests]
    assert paths == ["/feed.rss", "/2026/10/harbour-reopens", "/story-2"]


def test_url_failures_are_reported_and_the_rest_ingests(tmp_path: Path, embeddings: MiniLMEmbeddings,
                                                        http_server: LocalHTTPServer,
                                                        monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    desk = Newsdesk(BotSettings(data_dir=tmp_path / "d", fetch_timeout=0.3, fetch_allow_private=True),
                    embeddings=embeddings)
    http_server.add("/missing", b"not here", status=404)
    http_server.add("/slow", b"<html></html>", delay=2.0)
    http_server.add("/ok", (DATA / "wire-heat.htm").read_bytes())
    report = desk.ingest([http_server.url("/missing"), http_server.url("/slow"), http_server.url("/ok"),
                          "ftp://example.org/x"])
    assert len(report.added) == 1
    assert {f.source: f.error for f in report.failed} == {
        http_server.url("/missing"): "HTTP 404 Not Found",
        http_server.url("/slow"): "timed out after 0.3 s",
        "ftp://example.org/x": "only http and https URLs are supported",
    }


def test_bad_files_each_get_one_line_and_the_rest_ingest(cli_env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.html").write_bytes((DATA / "gazette-harbour.html").read_bytes())
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02\x03" * 100)
    (folder / "empty.md").write_bytes(b"")
    (folder / "latin1.txt").write_bytes("Caf\xe9 opens\nThe caf\xe9 opened.".encode("latin-1"))
    with (folder / "huge.txt").open("wb") as huge:
        huge.truncate(50 * 1024 * 1024)  # sparse: 50 MB on paper, nothing written
    (folder / "feed.xml").write_bytes(b"<rss><channel><item><title>cut")
    (folder / "cut.html").write_bytes(b"<html><head><title>Cut</title></head><body><div class=")
    (folder / "notes.pdf").write_bytes(b"%PDF")  # not a supported suffix: folders skip it
    result = CliRunner().invoke(cli, ["ingest", str(folder)], env=cli_env)
    assert result.exit_code == 1
    errors = {line.split(": ")[1]: line.split(": ", 2)[2] for line in result.stderr.splitlines()
              if line.startswith("failed: ")}
    names = {Path(k).name: v for k, v in errors.items()}
    assert names == {
        "binary.txt": "binary file, not text",
        "empty.md": "empty file",
        "latin1.txt": "not valid UTF-8 (byte 3); save it as UTF-8 (e.g. iconv -f WINDOWS-1252 -t UTF-8)",
        "huge.txt": "52 MB is over the 20 MB limit",
        "feed.xml": names["feed.xml"],
        "cut.html": "no article text found in the HTML",
    }, result.stderr
    assert names["feed.xml"].startswith("malformed feed")
    assert "added 1, updated 0, unchanged 0, linked 0, failed 6; " in result.stdout


def test_remove_by_id_and_by_url(cli_env: dict[str, str]) -> None:
    runner = CliRunner()
    report = json.loads(runner.invoke(cli, ["ingest", str(DATA / "articles.json"), "--json"], env=cli_env).stdout)
    first, second = report["added"]
    removed = runner.invoke(cli, ["remove", first, "https://northwindradio.example/2026/11/night-market"], env=cli_env)
    assert removed.exit_code == 0 and removed.stdout == f"removed {first}\nremoved {second}\n"
    assert json.loads(runner.invoke(cli, ["sources", "--json"], env=cli_env).stdout) == []
    missing = runner.invoke(cli, ["remove", "a-0000000000000000"], env=cli_env)
    assert missing.exit_code == 1 and "not found: a-0000000000000000" in missing.stderr


def test_removing_one_location_of_a_syndicated_text_keeps_the_others(desk: Newsdesk, tmp_path: Path) -> None:
    records = [
        {"title": "Ferry deal", "body": BODY_A, "url": "https://meridianwire.example/ferry", "source": "Meridian Wire"},
        {"title": "Ferry deal", "body": BODY_A, "url": "https://valleydigest.example/ferry"},
    ]
    report = desk.ingest([_write_json(tmp_path / "copies.json", records)])
    article_id = report.added[0]
    removed, missing = desk.remove(["https://valleydigest.example/ferry"])
    assert removed == ["https://valleydigest.example/ferry"] and missing == []
    assert [r.id for r in desk.sources()] == [article_id], "the text is still published by the wire"
    assert [p.url for p in desk.store.publications(article_id)] == ["https://meridianwire.example/ferry"]
    removed, _ = desk.remove(["https://meridianwire.example/ferry"])
    assert removed == [article_id] and desk.sources() == []


def test_an_edited_story_is_not_a_copy_of_its_old_version(desk: Newsdesk, tmp_path: Path) -> None:
    body = read_article_file(SAMPLES / "02-flood-barrier-council-vote.txt").body
    url = "https://northwindradio.example/barrier"
    desk.ingest([_write_json(tmp_path / "v1.json", [{"title": "Barrier", "body": body, "url": url}])])
    corrected = body.replace("seven votes to six", "7-6")
    report = desk.ingest([_write_json(tmp_path / "v2.json", [{"title": "Barrier", "body": corrected, "url": url}])])
    assert len(report.updated) == 1 and report.syndicated == []
    record = desk.store.article(report.updated[0])
    assert record is not None and record.duplicate_of is None
