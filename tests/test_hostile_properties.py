"""Property tests of the record readers (#10): hostile JSON, hosts and dates never escape as anything but the
documented errors, and each call stays within a time budget (``make fuzz`` runs thousands of examples)."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ingest.articles import ArticleParseError, to_iso_utc
from ingest.domains import host_of, outlet_name, registrable_domain, valid_host
from ingest.jsonfmt import parse_json
from ingest.types import Article
from tests.budget import within

ISO_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
HOST = re.compile(r"[^\s\[\]/\\@:?#%]+")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
article_like = st.fixed_dictionaries(
    {"title": st.text(max_size=30), "body": st.text(max_size=200)},
    optional={"url": st.text(max_size=40) | st.sampled_from(["https://foo[bar.com/x", "https://exa\u2100mple.com/",
                                                             "http://[::1]/", "https://ok.example/a"]),
              "source": st.text(max_size=30), "publisher": json_values,
              "published_at": st.text(max_size=30) | st.integers() | st.sampled_from(
                  ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "0000-01-01", "2025-02-30"])},
)


def _drain(text: str, lines: bool) -> list[Article | ArticleParseError]:
    try:
        return list(parse_json(text, "t.json", lines=lines))
    except ArticleParseError as error:
        return [error]


def _check_json(text: str, lines: bool) -> None:
    for item in within(2.0, _drain, text, lines):
        assert isinstance(item, (Article, ArticleParseError)), item
        if isinstance(item, Article):
            item.body.encode("utf-8")  # storable: no lone surrogates
            assert item.published_at is None or ISO_UTC.fullmatch(item.published_at), item.published_at
            for ref in (item.publisher, item.original):
                assert ref is None or (outlet_name(ref.name) == ref.name and (
                    ref.domain is None or valid_host(ref.domain) == ref.domain)), ref


@pytest.mark.fuzz
@given(st.lists(json_values | article_like, max_size=4), st.booleans())
def test_json_reader_takes_any_json_value(records: list[object], lines: bool) -> None:
    text = "\n".join(json.dumps(r) for r in records) if lines else json.dumps(records)
    _check_json(text, lines)


@pytest.mark.fuzz
@given(st.integers(min_value=1, max_value=200_000), st.sampled_from("[{"), st.booleans())
@example(100_000, "[", False)
@example(5_000, "{", True)
def test_json_reader_survives_deep_nesting(depth: int, opener: str, lines: bool) -> None:
    text = (opener + '"a":') * depth if opener == "{" else "[" * depth
    _check_json(text + ("]" * depth if opener == "[" else "1" + "}" * depth), lines)


@pytest.mark.fuzz
@given(st.text(max_size=200), st.booleans())
@example('[{"title": "t\\ud800", "body": "b"}]', False)
@example('{"title": "t", "body": "b \\udfff"}', True)
@example('[{"title": "t", "body": "b", "n": ' + "9" * 5000 + "}]", False)
def test_json_reader_takes_any_text(text: str, lines: bool) -> None:
    _check_json(text, lines)


@pytest.mark.fuzz
@given(st.text(max_size=300) | st.from_regex(r"https?://[^/]{0,80}/?", fullmatch=True))
@example("Foo [Bar.com")
@example("https://exa\u2100mple.com/x")
@example("http://[::1")
@example("x" * 64 + ".com")
@example("a" * 63 + ("." + "a" * 63) * 4)
@example("\ud800.com")
@example("https://user:pw@WWW.Example.COM.:8080/a")
def test_host_of_and_registrable_domain_are_total(text: str) -> None:
    for function in (host_of, registrable_domain):
        host = within(1.0, function, text)
        assert host is None or (host == host.lower() and HOST.fullmatch(host) and valid_host(host) == host), host
        assert host is None or host_of(host) in (host, host.removeprefix("www.")), "normalising twice changes it"


@pytest.mark.fuzz
@given(st.text(max_size=60) | st.datetimes().map(str) | st.integers() | st.floats() | st.dates().map(str)
       | st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()))
@example("0001-01-01T00:00:00+01:00")
@example("9999-12-31T23:59:59-05:00")
@example("0000-01-01")
@example("Tue, 10 Jun 0000 04:00:00 GMT")
@example("Tue, 10 Jun 99999 04:00:00 GMT")
@example("0500-06-01T00:00:00Z")
def test_to_iso_utc_raises_only_value_error(value: object) -> None:
    try:
        iso = within(1.0, to_iso_utc, value)
    except ValueError:
        return
    assert iso is None or ISO_UTC.fullmatch(iso), iso
