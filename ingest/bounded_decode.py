"""Undo a response's Content-Encoding without ever holding more decoded bytes than the size limit.

httpx decodes transparently, and without a limit: 3.4 kB of ``Content-Encoding: gzip, gzip`` grows to
4.4 GB in memory, and a 262 kB zstd body to 4.25 GB, before any check of ours could run. So the fetcher
reads the raw bytes (``iter_raw``) and decodes them here, in bounded steps: ``zlib``'s ``max_length`` makes
each step produce at most what is still allowed, and one byte more tells us the limit was crossed.

Only ``identity`` and a single ``gzip`` are accepted (we send ``Accept-Encoding: gzip, identity``). A stack of
encodings and anything else (br, zstd, deflate, compress) is refused with one line, not decoded.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

ACCEPT_ENCODING = "gzip, identity"
_GZIP_WBITS = 16 + zlib.MAX_WBITS  # gzip header and trailer, not a bare zlib stream


class DecodeError(Exception):
    """The body cannot be decoded within the rules; ``str(error)`` is one line for the user."""


class TooLarge(DecodeError):
    """The decoded body would pass the limit."""


def content_coding(header: str) -> str:
    """The one coding to undo, ``"identity"`` or ``"gzip"``, from a Content-Encoding header value.

    Raises:
        DecodeError: The header stacks codings (``gzip, gzip``) or names one we did not ask for.
    """
    codings = [c.strip().lower() for c in header.split(",") if c.strip() and c.strip().lower() != "identity"]
    codings = ["gzip" if c == "x-gzip" else c for c in codings]  # RFC 9110 8.4.1.3: x-gzip is gzip
    if not codings:
        return "identity"
    if len(codings) > 1:
        raise DecodeError(f"stacked content encodings ({', '.join(codings)[:80]}) are not supported")
    if codings[0] != "gzip":
        raise DecodeError(f"content encoding {codings[0][:40]!r} is not supported (only gzip)")
    return "gzip"


def decode_bounded(raw: Iterable[bytes], coding: str, max_bytes: int) -> Iterator[bytes]:
    """Yield the decoded body of ``raw`` piece by piece; at most ``max_bytes`` in all.

    The raw (encoded) bytes are held to ``max_bytes`` as well: a gzip body is never much bigger than what it
    decodes to, so a bigger one is junk, e.g. thousands of empty gzip members.

    Raises:
        TooLarge: The raw or decoded body passes ``max_bytes``; decoding stops there.
        DecodeError: The gzip data is corrupt or ends early.
    """
    if coding == "identity":
        yield from _bounded_identity(raw, max_bytes)
    else:
        yield from _bounded_gzip(raw, max_bytes)


def _bounded_identity(raw: Iterable[bytes], max_bytes: int) -> Iterator[bytes]:
    total = 0
    for piece in raw:
        total += len(piece)
        if total > max_bytes:
            raise TooLarge
        yield piece


def _bounded_gzip(raw: Iterable[bytes], max_bytes: int) -> Iterator[bytes]:
    decoder = zlib.decompressobj(_GZIP_WBITS)
    raw_total = decoded_total = 0
    try:
        for piece in raw:
            raw_total += len(piece)
            if raw_total > max_bytes:
                raise TooLarge
            pending = piece
            while pending:
                if decoder.eof:  # another gzip member follows (RFC 1952 2.2 allows several in a row)
                    decoder = zlib.decompressobj(_GZIP_WBITS)
                # Worked example: limit 10_000, 9_990 decoded so far -> ask for at most 11 bytes; getting all
                # 11 means the body is at least 10_001 bytes, over the limit, and nothing bigger is ever made.
                out = decoder.decompress(pending, max_bytes - decoded_total + 1)
                decoded_total += len(out)
                if decoded_total > max_bytes:
                    raise TooLarge
                if out:
                    yield out
                # Input zlib has not used yet: held back by max_length, or the start of the next member.
                pending = decoder.unused_data if decoder.eof else decoder.unconsumed_tail
        if raw_total and not decoder.eof:
            raise DecodeError("the gzip body ends early")
    except zlib.error as exc:
        raise DecodeError("the gzip body is corrupt") from exc
