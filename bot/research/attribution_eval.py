"""Scores ``find_quotes`` on hand-written attribution cases: precision and recall of speaker and reporting chain.

A case is a body and every piece of speech in it that a careful reader attributes: a distinctive substring of the
words, the speaker ("a senior official" for unnamed sourcing, None when the text names nobody), role, anonymous,
and ``via`` (the outlets the text says the words came through, nearest first). An expected quote is *found* when
some found quote contains its substring; one found quote may cover several expected ones (a quotation that runs
over paragraphs is one quote).

- Speaker recall: expected quotes with a speaker that are found with that speaker.
- Speaker precision: found quotes with a speaker whose speaker is the one expected for every expected quote they
  contain (a found quote that contains none — a title given a speaker — counts against it).
- Chain recall: expected quotes with a non-empty ``via`` found with exactly that chain.
- Chain precision: found quotes with a non-empty ``via`` whose chain is the expected one.

Names compare case-insensitively, without a leading "the"/"a"/"an"/"one" and without a trailing full stop.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.research.attribution import find_quotes
from bot.research.quote_types import Quote

_DETERMINER = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)


@dataclass(frozen=True)
class Expected:
    text: str
    speaker: str | None
    role: str | None
    anonymous: bool
    via: tuple[str, ...]


@dataclass(frozen=True)
class Case:
    id: str
    kind: str
    body: str
    expected: tuple[Expected, ...]


@dataclass(frozen=True)
class Miss:
    """One disagreement, for the table of misses: what was expected and what was found."""

    case: str
    measure: str
    words: str
    expected: str
    found: str


@dataclass(frozen=True)
class Scores:
    cases: int
    expected_speakers: int
    expected_chains: int
    found_speakers: int
    found_chains: int
    speaker_precision: float
    speaker_recall: float
    chain_precision: float
    chain_recall: float
    role_accuracy: float
    anonymous_accuracy: float
    misses: tuple[Miss, ...]


def load_cases(path: Path) -> list[Case]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    return [
        Case(c["id"], c["kind"], c["body"], tuple(
            Expected(e["text"], e["speaker"], e["role"], e["anonymous"], tuple(e["via"])) for e in c["expect"]))
        for c in raw["cases"]
    ]


def same_name(a: str | None, b: str | None) -> bool:
    return _norm(a) == _norm(b)


def _norm(name: str | None) -> str | None:
    if name is None:
        return None
    return _DETERMINER.sub("", name.strip().rstrip(".")).casefold()


def _same_chain(a: Sequence[str], b: Sequence[str]) -> bool:
    return [_norm(x) for x in a] == [_norm(x) for x in b]


def _ratio(good: int, total: int) -> float:
    return good / total if total else 1.0


def score(cases: Iterable[Case]) -> Scores:
    """Runs ``find_quotes`` on every case and compares (see the module docstring for the measures)."""
    cases = list(cases)
    misses: list[Miss] = []
    counts = dict.fromkeys(("exp_sp", "rec_sp", "exp_ch", "rec_ch", "fnd_sp", "ok_sp", "fnd_ch", "ok_ch",
                            "role_n", "role_ok", "anon_n", "anon_ok"), 0)
    for case in cases:
        found = find_quotes(case.body)
        for expected in case.expected:
            holders = [q for q in found if expected.text in q.text]
            match = next((q for q in holders if same_name(q.speaker, expected.speaker)), holders[0] if holders
                         else None)
            if expected.speaker is not None:
                counts["exp_sp"] += 1
                if match is not None and same_name(match.speaker, expected.speaker):
                    counts["rec_sp"] += 1
                    counts["role_n"] += 1
                    counts["role_ok"] += same_name(match.speaker_role, expected.role)
                else:
                    misses.append(Miss(case.id, "speaker recall", expected.text, str(expected.speaker),
                                       _described(match)))
            if match is not None:
                counts["anon_n"] += 1
                counts["anon_ok"] += match.anonymous == expected.anonymous
            if expected.via:
                counts["exp_ch"] += 1
                if match is not None and _same_chain(match.via, expected.via):
                    counts["rec_ch"] += 1
                else:
                    misses.append(Miss(case.id, "chain recall", expected.text, " → ".join(expected.via),
                                       _described(match)))
        for quote in found:
            inside = [e for e in case.expected if e.text in quote.text]
            if quote.speaker is not None:
                counts["fnd_sp"] += 1
                if inside and all(same_name(quote.speaker, e.speaker) for e in inside):
                    counts["ok_sp"] += 1
                elif not any(m.case == case.id and m.words in quote.text for m in misses):
                    misses.append(Miss(case.id, "speaker precision", quote.text[:60],
                                       ", ".join(str(e.speaker) for e in inside) or "(no speech)",
                                       _described(quote)))
            if quote.via:
                counts["fnd_ch"] += 1
                if inside and all(_same_chain(quote.via, e.via) for e in inside):
                    counts["ok_ch"] += 1
                elif not any(m.case == case.id and m.words in quote.text for m in misses):
                    misses.append(Miss(case.id, "chain precision", quote.text[:60],
                                       ", ".join(" → ".join(e.via) or "(none)" for e in inside) or "(no speech)",
                                       _described(quote)))
    return Scores(
        cases=len(cases), expected_speakers=counts["exp_sp"], expected_chains=counts["exp_ch"],
        found_speakers=counts["fnd_sp"], found_chains=counts["fnd_ch"],
        speaker_precision=_ratio(counts["ok_sp"], counts["fnd_sp"]),
        speaker_recall=_ratio(counts["rec_sp"], counts["exp_sp"]),
        chain_precision=_ratio(counts["ok_ch"], counts["fnd_ch"]),
        chain_recall=_ratio(counts["rec_ch"], counts["exp_ch"]),
        role_accuracy=_ratio(counts["role_ok"], counts["role_n"]),
        anonymous_accuracy=_ratio(counts["anon_ok"], counts["anon_n"]),
        misses=tuple(misses),
    )


def _described(quote: Quote | None) -> str:
    if quote is None:
        return "(not found)"
    via = f" via {' → '.join(quote.via)}" if quote.via else ""
    return f"{quote.speaker or '(no speaker)'}{via}"
