"""The HTML research brief in a real headless browser (Debian's ``chromium``, installed by ``make browser``).

Chromium loads the page from a file, dumps the DOM it built, and writes a net log. The DOM must hold the brief's
sections and none of the hostile article text as elements; the net log must show no request made by the page but
for its own file (the browser's own background traffic is told apart by its network isolation key, which for the
page's requests is the file:// origin). A control page with an external image shows the check can fail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.research.render_html import SECTIONS, render_html
from tests.test_research_render import hostile_brief, parse

#: Flags that keep the browser's own services quiet; what is left of their traffic is not the page's.
QUIET = ["--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-default-apps",
         "--no-pings", "--disable-domain-reliability", "--mute-audio"]
HOSTILE = ('<img src="http://192.0.2.1/evil.png"><link rel="stylesheet" href="https://fonts.googleapis.com/css">'
           '<script src="https://192.0.2.1/x.js"></script><iframe src="//192.0.2.1/"></iframe>')


@pytest.fixture(scope="module")
def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("chromium is not installed and `make browser` could not install it (needs apt-get and root)")
    return found


def open_in_browser(chromium: str, page: Path, tmp_path: Path) -> tuple[str, list[str]]:
    """The DOM chromium builds from ``page``, and the URLs the page itself requested."""
    net_log = tmp_path / "net-log.json"
    sandbox = ["--no-sandbox"] if os.geteuid() == 0 else []  # chromium refuses to run as root with its sandbox
    done = subprocess.run(
        [chromium, *QUIET, *sandbox, f"--user-data-dir={tmp_path / 'profile'}", f"--log-net-log={net_log}",
         "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 0 and "<html" in done.stdout, done.stderr[-2000:]
    log = json.loads(net_log.read_text(encoding="utf-8"))
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    requested = [event["params"]["url"] for event in log["events"]
                 if event["type"] == start_job and "file://" in event["params"].get("network_isolation_key", "")]
    return done.stdout, requested


def test_the_html_brief_renders_its_sections_and_requests_nothing(chromium: str, tmp_path: Path) -> None:
    page = tmp_path / "brief.html"
    page.write_text(render_html(hostile_brief(HOSTILE, url="https://example.org/story")), encoding="utf-8")
    dom, requested = open_in_browser(chromium, page, tmp_path)
    parsed = parse(dom)
    ids = [attrs.get("id") for _, attrs in parsed.tags if attrs.get("id")]
    assert ids == [section_id for section_id, _ in SECTIONS], ids
    headings = "".join(parsed.text)
    assert all(heading in headings for _, heading in SECTIONS)
    assert not {"img", "script", "iframe", "link"} & {tag for tag, _ in parsed.tags}, "article text became markup"
    assert HOSTILE in headings, "the hostile text is shown, as text"
    assert [url for url in requested if not url.startswith(("file:", "data:"))] == [], requested


def test_the_request_check_sees_a_page_that_loads_something(chromium: str, tmp_path: Path) -> None:
    page = tmp_path / "control.html"
    page.write_text(f"<!DOCTYPE html><html><body>{HOSTILE}</body></html>", encoding="utf-8")
    _, requested = open_in_browser(chromium, page, tmp_path)
    assert "http://192.0.2.1/evil.png" in requested, requested
