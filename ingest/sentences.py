"""Sentence boundaries in article text, as character spans (quotes and sentence indexes use them)."""

from __future__ import annotations

import re

# A sentence ends at . ! ? (optionally followed by closing quotes/brackets) before whitespace and an
# opening capital, digit or quote; a line break always ends one (articles hold a paragraph per line).
# Abbreviations like "U.S. officials" may split early, which only shortens a quote: quotes stay verbatim.
# A line break's whitespace run is matched from its first character only, (?<!\s): tried from every
# position of a long run of spaces without a newline, the search was quadratic (#10).
_SENTENCE_END = re.compile(
    r"""(?<=[.!?])["'”’)\]]*(?=[ \t]+["'“”‘’(\[]?[A-Z0-9])|(?<!\s)\s*\n\s*"""
)

def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence in ``text``, whitespace trimmed."""
    spans: list[tuple[int, int]] = []
    cursor = 0
    for match in _SENTENCE_END.finditer(text):
        spans.append((cursor, match.start() if match.group(0).isspace() else match.end()))
        cursor = match.end()
    spans.append((cursor, len(text)))
    trimmed = []
    for start, end in spans:
        piece = text[start:end]
        lead = len(piece) - len(piece.lstrip())
        trail = len(piece) - len(piece.rstrip())
        if end - trail > start + lead:
            trimmed.append((start + lead, end - trail))
    return trimmed
