"""The prompt a model answers from: numbered passages packed into a token budget, article text fenced as data.

Each passage gets a header (number, outlet with its kind, date, title) and its text between BEGIN and END
lines that carry a nonce made from all the passages' text. Article text cannot close the fence: it cannot
know the nonce in advance (changing the text changes it), and fence look-alikes in it (runs of angle brackets,
"BEGIN/END PASSAGE" lines) are neutralised anyway. Counting is done with tiktoken's cl100k, the tokenizer the
chunks are sized with, so the budget is an honest bound for OpenAI-family models and a close one for others.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

import tiktoken

from bot.answering.labels import outlet_label
from bot.answering.prompts import load
from ingest.outlets import OutletRegistry
from ingest.settings import use_bundled_tiktoken
from ingest.types import Passage

#: Shortest passage text worth sending (tokens) when the budget forces a cut.
MIN_PASSAGE_TOKENS = 24
# Runs of angle brackets or their look-alikes (fullwidth, small, guillemets, CJK brackets) and fence words.
_FENCE_LOOKALIKE = re.compile(r"[<>＜＞﹤﹥‹›«»〈〉《》⟨⟩]{2,}|\b(BEGIN|END)(\s+|_)PASSAGE\b", re.I)
_LINE_BREAKS = re.compile(r"\s+")


@lru_cache(maxsize=1)
def encoding() -> tiktoken.Encoding:
    use_bundled_tiktoken()
    return tiktoken.get_encoding("cl100k_base")


def count_tokens(text: str) -> int:
    return len(encoding().encode(text, disallowed_special=()))


@dataclass(frozen=True, slots=True)
class Context:
    """The user prompt, the passages it numbers (``passages[n-1]`` is ``[n]``) and its size with the system prompt."""

    system: str
    prompt: str
    passages: tuple[Passage, ...]
    tokens: int


def defang(text: str) -> str:
    """Article text with fence look-alikes replaced, so it cannot pose as the end of its passage."""
    return _FENCE_LOOKALIKE.sub(" ", text)


def _header(n: int, passage: Passage, registry: OutletRegistry) -> str:
    label = outlet_label(passage.original, registry)
    outlet = f"{label.name} ({label.kind.replace('_', ' ')})"
    date = (passage.published_at or "undated")[:10]
    title = _LINE_BREAKS.sub(" ", defang(passage.title)).strip()[:200]
    return f"[{n}] {outlet} · {date} · {title}"


def _block(n: int, passage: Passage, text: str, registry: OutletRegistry, nonce: str) -> str:
    return (f"{_header(n, passage, registry)}\n<<<BEGIN PASSAGE {n} {nonce}>>>\n{defang(text).strip()}\n"
            f"<<<END PASSAGE {n} {nonce}>>>")


def _cut(text: str, tokens: int) -> str:
    return encoding().decode(encoding().encode(text, disallowed_special=())[:tokens]) + " …"


def pack(question: str, passages: list[Passage], registry: OutletRegistry, *, budget: int,
         prompt_name: str = "answer") -> Context:
    """Number and fence as many passages (best first) as fit with the prompts in ``budget`` cl100k tokens.

    A passage that does not fit whole is cut to the tokens left, if at least ``MIN_PASSAGE_TOKENS`` are;
    the passages after it are dropped. With no room for any passage the context has none (the caller
    then answers without the model). ``prompt_name`` is the user prompt file (``short_answer`` for the eval).
    """
    nonce = hashlib.sha256("\x00".join(p.text for p in passages).encode("utf-8", "replace")).hexdigest()[:12]
    system = load("system")
    fixed = count_tokens(system) + count_tokens(load(prompt_name, passages="", question=question))
    blocks: list[str] = []
    used: list[Passage] = []
    spent = fixed
    for passage in passages:
        n = len(used) + 1
        block = _block(n, passage, passage.text, registry, nonce)
        cost = count_tokens(block) + 2  # + the blank line between blocks
        if spent + cost > budget:
            room = budget - spent - 2 - count_tokens(_block(n, passage, "", registry, nonce)) - 2
            if room >= MIN_PASSAGE_TOKENS:
                block = _block(n, passage, _cut(defang(passage.text), room), registry, nonce)
                if spent + count_tokens(block) + 2 <= budget:
                    blocks.append(block)
                    used.append(passage)
            break
        blocks.append(block)
        used.append(passage)
        spent += cost
    while True:
        # Tokens can merge across the joins, so the whole prompt is counted again; a passage over is dropped.
        prompt = load(prompt_name, passages="\n\n".join(blocks), question=question)
        tokens = count_tokens(system) + count_tokens(prompt)
        if tokens <= budget or not blocks:
            return Context(system=system, prompt=prompt, passages=tuple(used), tokens=tokens)
        blocks.pop()
        used.pop()
