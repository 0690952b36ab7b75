"""Content-Encoding decoding within the size limit: bombs stop at the limit, odd codings are refused."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib
from functools import cache

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.bounded_decode import DecodeError, TooLarge, content_coding, decode_bounded
from tests.budget import within


@cache
def zeros_gzip(size: int) -> bytes:
    """A gzip member of ``size`` zero bytes: about 1,000 times smaller than what it decodes to."""
    return gzip.compress(bytes(size), compresslevel=9)


def pieces(data: bytes, size: int = 8192) -> list[bytes]:
    """``data`` cut as a network read would deliver it."""
    return [data[i : i + size] for i in range(0, len(data), size)]


def decode_all(raw: bytes, coding: str, max_bytes: int) -> tuple[bytes, list[int]]:
    """The decoded body and the size of each piece decode_bounded yielded."""
    out = list(decode_bounded(pieces(raw), coding, max_bytes))
    return b"".join(out), [len(p) for p in out]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param("", "identity", id="none"),
        pytest.param("identity", "identity", id="identity"),
        pytest.param("gzip", "gzip", id="gzip"),
        pytest.param(" GZip ", "gzip", id="gzip-case"),
        pytest.param("x-gzip", "gzip", id="x-gzip"),
        pytest.param("identity, gzip", "gzip", id="identity-then-gzip"),
    ],
)
def test_accepted_codings(header: str, expected: str) -> None:
    assert content_coding(header) == expected, f"Content-Encoding {header!r}"


@pytest.mark.parametrize(
    ("header", "message"),
    [
        pytest.param("gzip, gzip", "stacked content encodings (gzip, gzip) are not supported", id="gzip-gzip"),
        pytest.param("gzip,br", "stacked content encodings (gzip, br) are not supported", id="gzip-br"),
        pytest.param("br", "content encoding 'br' is not supported (only gzip)", id="br"),
        pytest.param("zstd", "content encoding 'zstd' is not supported (only gzip)", id="zstd"),
        pytest.param("deflate", "content encoding 'deflate' is not supported (only gzip)", id="deflate"),
    ],
)
def test_refused_codings(header: str, message: str) -> None:
    with pytest.raises(DecodeError) as caught:
        content_coding(header)
    assert str(caught.value) == message, f"message was {caught.value!r}"


def test_gzip_round_trip_with_several_members() -> None:
    raw = gzip.compress(b"first member, ") + gzip.compress(b"second member")
    body, _ = decode_all(raw, "gzip", 1000)
    assert body == b"first member, second member", "every gzip member must be decoded, in order"


def test_body_exactly_at_the_limit_passes() -> None:
    body, _ = decode_all(zeros_gzip(10_000), "gzip", 10_000)
    assert body == bytes(10_000), "a body of exactly max_bytes is allowed"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        pytest.param(gzip.compress(b"hello world" * 100)[:-12], "the gzip body ends early", id="truncated"),
        pytest.param(b"\x1f\x8b\x08\x00garbage that is no deflate stream", "the gzip body is corrupt", id="corrupt"),
        pytest.param(b"<html>not gzip at all</html>", "the gzip body is corrupt", id="not-gzip"),
    ],
)
def test_broken_gzip_is_one_line(raw: bytes, message: str) -> None:
    with pytest.raises(DecodeError) as caught:
        decode_all(raw, "gzip", 100_000)
    assert str(caught.value) == message, f"message was {caught.value!r}"


def test_gzip_bomb_stops_at_the_limit_with_little_memory() -> None:
    bomb = zeros_gzip(32_000_000)  # about 31 kB on the wire
    yielded: list[int] = []
    tracemalloc.start()
    try:
        with pytest.raises(TooLarge):
            for piece in decode_bounded(pieces(bomb), "gzip", 100_000):
                yielded.append(len(piece))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert sum(yielded) <= 100_000, f"{sum(yielded)} decoded bytes were handed out past the 100 kB limit"
    assert peak < 2_000_000, f"decoding a bomb under a 100 kB limit peaked at {peak:,} bytes"


def test_raw_bytes_are_limited_too() -> None:
    # 2,000 empty gzip members: nothing decoded, but far more input than any real page would need.
    with pytest.raises(TooLarge):
        decode_all(gzip.compress(b"") * 2000, "gzip", 10_000)
    with pytest.raises(TooLarge):
        decode_all(b"x" * 10_001, "identity", 10_000)


@pytest.mark.fuzz
@given(data=st.binary(max_size=5000), limit=st.integers(1, 6000), level=st.integers(0, 9), cut=st.integers(1, 3000))
def test_gzip_decodes_exactly_or_stops_at_the_limit(data: bytes, limit: int, level: int, cut: int) -> None:
    raw = gzip.compress(data, compresslevel=level)
    out: list[bytes] = []
    try:
        within(2.0, lambda: out.extend(decode_bounded(pieces(raw, cut), "gzip", limit)))
    except TooLarge:
        assert len(data) > limit or len(raw) > limit, f"{len(data)} bytes ({len(raw)} raw) are within {limit}"
        assert sum(map(len, out)) <= limit, "more than the limit was handed out before stopping"
        return
    assert b"".join(out) == data, "decoding must give back exactly what was compressed"


@pytest.mark.fuzz
@given(raw=st.binary(max_size=3000), coding=st.sampled_from(["gzip", "identity"]), cut=st.integers(1, 500))
def test_any_bytes_give_a_body_or_a_decode_error(raw: bytes, coding: str, cut: int) -> None:
    try:
        body = within(2.0, lambda: b"".join(decode_bounded(pieces(raw, cut), coding, 10_000)))
    except DecodeError as error:
        assert "\n" not in str(error), "errors are one line"
        return
    assert len(body) <= 10_000, "the limit holds on every path"


def test_bare_zlib_stream_labelled_gzip_is_refused() -> None:
    # A bare zlib stream (what some servers send as "deflate") is refused when labelled gzip, not guessed.
    with pytest.raises(DecodeError):
        decode_all(zlib.compress(b"hello"), "gzip", 1000)
