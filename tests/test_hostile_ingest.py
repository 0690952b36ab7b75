"""One bad item fails alone (#10 items 5 and 14): ``newsdesk ingest`` on a folder of good and hostile files
stores the good ones, prints one line per bad item, ends with its summary and exits 1."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from langchain_core.embeddings import Embeddings

from bot.cli.app import cli
from bot.service import Newsdesk
from bot.settings import BotSettings
from ingest.embedder import MODEL_NAME, MiniLMEmbeddings
from ingest.loaders import expand_sources
from ingest.pipeline import ingest_sources
from ingest.store import ChunkStore

GOOD = "The Port Aldren ferry operator agreed a new roster with the union on Monday, ending a three-week strike."

#: Each file fails as a whole or per record; the second element is what its failure line must say.
HOSTILE = {
    "deep.json": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    "ipv6.json": (json.dumps([{"title": "Bracket", "body": "Text about a bracket.", "url": "https://foo[bar.com/x"}]),
                  "valid host name"),
    "nfkc.json": (json.dumps([{"title": "Netloc", "body": "Text about a netloc.", "url": "https://exa\u2100mple.com/"}]),
                  "valid host name"),
    "early.json": (json.dumps([{"title": "Early", "body": "Text from the first morning.",
                                "published_at": "0001-01-01T00:00:00+01:00"}]), "out of the range of dates"),
    "year0.json": (json.dumps([{"title": "Year zero", "body": "Text from year zero.", "published_at": "0000-01-01"}]),
                   "not an ISO 8601 date"),
    # Kept, with U+FFFD for each lone surrogate: the rest of the record is good text.
    "surrogate.json": ('[{"title": "Lone \\ud800", "body": "A lone surrogate \\udc00 in the body."}]', None),
    "huge-int.json": ('[{"title": "Int", "body": "Text.", "n": ' + "9" * 5000 + "}]", "not valid JSON"),
    "ipv6-text.md": ("---\nurl: https://foo[bar.com/x\n---\nBracket story\nA story whose front matter URL is bad.\n",
                     None),
}


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a-good.json").write_text(json.dumps([{"title": "Ferry deal", "body": GOOD,
                                                     "url": "https://harbourgazette.example/ferry",
                                                     "source": "Foo [Bar.com"}]))
    for name, (text, _) in HOSTILE.items():
        (folder / name).write_text(text, encoding="utf-8", errors="surrogatepass")
    lines = [json.dumps({"title": "Line one", "body": "The first line is an article."}), "{not json",
             "[" * 50_000, json.dumps({"title": "Line four", "body": "The fourth line is an article too."})]
    (folder / "lines.jsonl").write_text("\n".join(lines) + "\n")
    (folder / "notes.pdf").write_bytes(b"%PDF-1.4")
    (folder / "photo.jpg").write_bytes(b"\xff\xd8")
    return folder


def test_a_folder_of_good_and_hostile_files_ingests_the_good_and_reports_each_bad(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    result = CliRunner().invoke(cli, ["ingest", str(_folder(tmp_path))], env=cli_env, catch_exceptions=False)
    assert result.exit_code == 1, result.output
    failed = [line for line in result.stderr.splitlines() if line.startswith("failed: ")]
    for name, (_, reason) in HOSTILE.items():
        if reason:
            assert [line for line in failed if name in line and reason in line], (name, result.stderr)
    assert [line for line in failed if "lines.jsonl#line 2" in line], result.stderr
    assert [line for line in failed if "lines.jsonl#line 3" in line and "nested too deeply" in line], result.stderr
    assert "Traceback" not in result.output
    assert "skipped 2 unsupported file(s) in folders: 1 .jpg, 1 .pdf" in result.stderr, result.stderr
    assert result.stdout.startswith("added 5,"), result.stdout  # good.json, two good lines, the .md, surrogate.json
    listed = CliRunner().invoke(cli, ["sources"], env=cli_env, catch_exceptions=False)
    for title in ("Ferry deal", "Line one", "Line four", "Bracket story", "Lone \ufffd"):
        assert title in listed.output, listed.output


def test_outlets_detect_reports_a_bad_item_in_one_line(tmp_path: Path, cli_env: dict[str, str]) -> None:
    folder = _folder(tmp_path)
    for name in ("deep.json", "ipv6.json", "early.json"):
        result = CliRunner().invoke(cli, ["outlets", "detect", str(folder / name)], env=cli_env)
        assert result.exit_code == 1, (name, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit), (name, result.exception)
    named = CliRunner().invoke(cli, ["outlets", "detect", str(folder / "a-good.json")], env=cli_env)
    assert named.exit_code == 0 and "Foo [Bar.com" in named.output, named.output


class _FailingEmbeddings(Embeddings):
    """Our embedder, except that a text holding ``marker`` raises an error no code of ours expects."""

    def __init__(self, inner: Embeddings, marker: str) -> None:
        self.inner, self.marker = inner, marker

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if any(self.marker in t for t in texts):
            raise RuntimeError("the embedder fell over")
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


def test_an_unexpected_error_fails_its_item_only_with_a_debug_traceback(
    settings: BotSettings, embeddings: MiniLMEmbeddings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = ChunkStore.open(settings, _FailingEmbeddings(embeddings, "POISON"), embedding_model=MODEL_NAME,
                            tokenizer="cl100k_base")
    records = [{"title": "One", "body": GOOD}, {"title": "Two", "body": "POISON in this text."},
               {"title": "Three", "body": "Divers replanted seagrass in the bay on Sunday."}]
    (tmp_path / "three.json").write_text(json.dumps(records))
    (tmp_path / "later.txt").write_text("Later\nA later source is still read after the failure.\n")
    with caplog.at_level(logging.DEBUG, logger="ingest.pipeline"):
        report = ingest_sources([str(tmp_path / "three.json"), str(tmp_path / "later.txt")], store, settings)
    assert len(report.added) == 3, report
    assert [(f.source, f.error) for f in report.failed] == [
        (f"{tmp_path / 'three.json'}#Two", "unexpected RuntimeError: the embedder fell over")]
    assert any(r.exc_info and "three.json#Two" in r.getMessage() for r in caplog.records), caplog.records


def test_a_special_file_in_a_folder_fails_alone(desk: Newsdesk, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    os.mkfifo(folder / "pipe.txt")  # reading it would block the run for ever
    (folder / "story.txt").write_text(f"Ferry deal\n{GOOD}\n")
    report = ingest_sources([str(folder)], desk.store, desk.settings)
    assert len(report.added) == 1, report
    assert [(f.source, f.error) for f in report.failed] == [(str(folder / "pipe.txt"), "not a regular file")]


def test_a_file_that_vanishes_after_the_folder_was_listed_is_reported(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a.txt", "b.txt"):
        (folder / name).write_text(f"Title\n{GOOD}\n")
    listed = expand_sources([str(folder)])
    first = next(listed)
    (folder / "b.txt").unlink()  # deleted while the run works on a.txt
    assert [first, *listed] == [str(folder / "a.txt"), str(folder / "b.txt")]


def test_ingest_reports_a_vanished_file_and_exits_1(tmp_path: Path, cli_env: dict[str, str]) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(f"Title\n{GOOD}\n")
    (folder / "b.txt").symlink_to(folder / "gone.txt")  # listed, but there is nothing to read
    result = CliRunner().invoke(cli, ["ingest", str(folder)], env=cli_env, catch_exceptions=False)
    assert result.exit_code == 1 and f"failed: {folder / 'b.txt'}: no such file" in result.stderr, result.output


def test_remove_by_file_path_finds_a_file_that_names_its_url(tmp_path: Path, cli_env: dict[str, str]) -> None:
    story = tmp_path / "story.md"
    story.write_text(f"---\nurl: https://harbourgazette.example/ferry\n---\nFerry deal\n{GOOD}\n")
    runner = CliRunner()
    assert runner.invoke(cli, ["ingest", str(story)], env=cli_env).exit_code == 0
    removed = runner.invoke(cli, ["remove", str(story)], env=cli_env, catch_exceptions=False)
    assert removed.exit_code == 0 and removed.output.startswith("removed "), removed.output
    assert "Ferry deal" not in runner.invoke(cli, ["sources"], env=cli_env).output


def _item(title: str, link: str, date: str) -> str:
    text = " ".join(f"The {title} entry says the pier lamps were replaced, word {i}." for i in range(30))
    return (f"<item><title>{title}</title><link>{link}</link><pubDate>{date}</pubDate>"
            f"<description>{text}</description></item>")


def test_one_bad_feed_entry_fails_alone(tmp_path: Path, cli_env: dict[str, str]) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text('<?xml version="1.0"?><rss version="2.0"><channel><title>Foo [Bar.com</title>'
                    "<link>https://exa\u2100mple.com/</link>"
                    + _item("Bracket", "https://foo[bar.com/1", "Tue, 10 Jun 2025 04:00:00 GMT")
                    + _item("Early", "https://harbourgazette.example/2", "Mon, 01 Jan 0001 00:00:00 +0100")
                    + "<item><title>Empty</title><link>https://harbourgazette.example/4</link></item>"
                    + _item("Plain", "https://harbourgazette.example/3", "Wed, 11 Jun 2025 04:00:00 GMT")
                    + "</channel></rss>", encoding="utf-8")
    result = CliRunner().invoke(cli, ["ingest", str(feed)], env=cli_env, catch_exceptions=False)
    assert result.exit_code == 1 and result.stdout.startswith("added 3,"), result.output
    failed = [line for line in result.stderr.splitlines() if line.startswith("failed: ")]
    assert len(failed) == 1 and "entry 'Empty' has no text" in failed[0], result.stderr
    listed = CliRunner().invoke(cli, ["sources"], env=cli_env, catch_exceptions=False).output
    assert "Bracket" in listed and "Plain" in listed and "foo[bar.com" not in listed, listed
    # A placeholder date ("01 Jan 0001") is no date: the entry is kept, undated, not put 2,000 years back.
    records = json.loads(CliRunner().invoke(cli, ["sources", "--json"], env=cli_env, catch_exceptions=False).output)
    [early] = [a for a in records if a["title"] == "Early"]
    assert early["published_at"] is None, early
