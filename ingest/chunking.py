"""Split an article body into verbatim chunks that fit the embedder's window, with character offsets.

Sizes are counted in cl100k tokens (tiktoken, shipped offline). On English news text cl100k and MiniLM
word-piece counts are close (~217 word pieces for 200 cl100k tokens), but digits, names and non-Latin
scripts can cost more word pieces per token, so every chunk is re-measured with the embedder's own
tokenizer and split again while it would overflow: no chunk is ever silently truncated.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from langchain_text_splitters import RecursiveCharacterTextSplitter

from ingest.embedder import MAX_WORD_PIECES
from ingest.settings import use_bundled_tiktoken
from ingest.types import Chunk

ENCODING = "cl100k_base"
_SEPARATORS = ["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""]


def chunk_id(article_id: str, start: int, text: str) -> str:
    return "c-" + hashlib.sha1(f"{article_id}:{start}:{text}".encode()).hexdigest()[:16]


def _splitter(max_tokens: int, overlap: int) -> RecursiveCharacterTextSplitter:
    use_bundled_tiktoken()
    return RecursiveCharacterTextSplitter.from_tiktoken_encoder(
        encoding_name=ENCODING,
        chunk_size=max_tokens,
        chunk_overlap=min(overlap, max_tokens // 4),
        separators=_SEPARATORS,
        keep_separator="end",
        # Article text may contain "<|endoftext|>"; it is text, not a control token.
        disallowed_special=(),
    )


def _spans(body: str, pieces: list[str], offset: int) -> list[tuple[int, int]]:
    """Locate each piece in ``body`` (from ``offset``), in order; pieces overlap, so search from the last start."""
    spans: list[tuple[int, int]] = []
    cursor = offset
    for piece in pieces:
        start = body.find(piece, cursor)
        if start < 0:  # the splitter only strips whitespace, so this cannot happen for verbatim pieces
            raise ValueError(f"chunk text not found in the article body: {piece[:60]!r}")
        spans.append((start, start + len(piece)))
        cursor = start + 1
    return spans


def split_spans(
    body: str,
    *,
    max_tokens: int,
    overlap: int,
    count_word_pieces: Callable[[str], int] | None = None,
    start: int = 0,
    end: int | None = None,
) -> list[tuple[int, int]]:
    """Character spans of ``body[start:end]`` chunks, each within ``max_tokens`` and the embedder's window."""
    end = len(body) if end is None else end
    text = body[start:end]
    pieces = [p for p in _splitter(max_tokens, overlap).split_text(text) if p.strip()]
    spans: list[tuple[int, int]] = []
    for piece_start, piece_end in _spans(text, pieces, 0):
        a, b = start + piece_start, start + piece_end
        if count_word_pieces and count_word_pieces(body[a:b]) > MAX_WORD_PIECES and max_tokens > 16:
            spans.extend(
                split_spans(body, max_tokens=max_tokens * 2 // 3, overlap=overlap // 2,
                            count_word_pieces=count_word_pieces, start=a, end=b)
            )
        else:
            spans.append((a, b))
    return spans


def chunk_article(
    article_id: str,
    body: str,
    *,
    max_tokens: int,
    overlap: int,
    count_word_pieces: Callable[[str], int] | None = None,
) -> list[Chunk]:
    """Chunks of an article body; ``body[chunk.start:chunk.end] == chunk.text`` for every chunk."""
    spans = split_spans(body, max_tokens=max_tokens, overlap=overlap, count_word_pieces=count_word_pieces)
    return [
        Chunk(id=chunk_id(article_id, a, body[a:b]), article_id=article_id, index=i, start=a, end=b, text=body[a:b])
        for i, (a, b) in enumerate(spans)
    ]
