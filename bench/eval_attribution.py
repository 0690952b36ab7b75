"""Attribution quality on tests/data/attribution_cases.json; writes docs/evaluation-attribution.md.

Precision and recall of the speaker and of the reporting chain (``bot.research.attribution_eval`` defines them),
the cases and misses behind them, and the speed of ``find_quotes``. Run with ``make eval-attribution``.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from bot.research.attribution import find_quotes
from bot.research.attribution_eval import Case, Scores, load_cases, score

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "data" / "attribution_cases.json"
HELD_OUT = ROOT / "tests" / "data" / "attribution_heldout.json"
REPORT = ROOT / "docs" / "evaluation-attribution.md"
TARGET = 0.90

HOW_WRITTEN = """\
## How the cases were written

The cases were written by hand for this evaluation, in news style, before the rules of
`bot/research/attribution.py` existed; no sentence was copied from a corpus or from the seed article. They cover
direct quotes (attribution before, after and in the middle), quotations that run over sentences and paragraphs,
indirect speech with the common reporting verbs, roles in front of names and in appositives, pronoun speakers,
unnamed sourcing, second-hand reports ("told the Financial Times", "according to a report in", "as reported by",
"citing"), chains of two outlets, several speakers in one passage, and negatives (titles, nicknames and scare
quotes that nobody said). Each case lists every piece of speech a careful reader attributes in its body; an
outlet's own report ("…, The Atlantic has reported") is listed with speaker null and the outlet as its chain.

After the first run one annotation was corrected, not a rule: `via-1` had left out the outlet's own report that
the annotation guide above says to list (the same shape is listed in `via-3`, `via-4` and `via-12`). The rules
were then improved on the misses (apostrophes read as quotation marks; "…, officials told Politico" after a
clause with its own "X complained that"; unnamed sources inheriting the outlet that cited them).

Caveat: the cases and the rules were written by the same person, so the cases test what that person thought of.
To see how far that flatters the rules, 25 more cases (`tests/data/attribution_heldout.json`) were written after
the rules, in shapes the first set does not use (ages and manner phrases in appositives, "X quoted Y as saying",
"according to Reuters, which cited Interfax", "asked" as a reporting verb, "Speaking to the BBC, …", a surname
whose full name was given in a clause without speech, an outlet named in a sentence without speech and then
called "the paper"), and scored once before any change. That first run gave speaker precision 0.895 and recall
0.708, chain precision 0.750 and recall 0.429: on unseen shapes the rules were clearly weaker than the 1.000 of
the first set suggests. The rules were then extended for those shapes (the table above now scores both sets,
so neither is held out any more). The issue's independent set, written elsewhere, remains the real check.

A look at real text: over the 609 MultiHop-RAG articles (`../shared/data/multihop-rag`), listing the most frequent
one-word speakers showed sentence-initial words taken for names ("That said, …" → "That"; "It", "I", "When
Poyer said") and tech outlets taken for people ("TechCrunch"); function words are no longer names and more outlets
are known. That corpus has no gold attributions, so it gives no numbers here.
"""


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in cells) + " |"


def _speed(cases: list[Case]) -> tuple[float, int]:
    """Characters a second over all case bodies, repeated to about a megabyte, and that size."""
    text = "\n".join(c.body for c in cases)
    body = "\n".join([text] * max(1, 1_000_000 // max(1, len(text))))
    started = time.process_time()
    find_quotes(body)
    return len(body) / max(1e-9, time.process_time() - started), len(body)


def report(cases: list[Case], scores: Scores, speed: tuple[float, int]) -> str:
    kinds = Counter(c.kind for c in cases)
    expected = sum(len(c.expected) for c in cases)
    lines = [
        "# Attribution evaluation",
        "",
        f"Written by `make eval-attribution` (bench/eval_attribution.py) on {datetime.now(UTC):%Y-%m-%d}, from "
        f"`tests/data/attribution_cases.json` and `tests/data/attribution_heldout.json` (see below for how each "
        f"was written). `tests/test_attribution.py` runs the same scoring in `make test` and fails below "
        f"{TARGET:.2f}.",
        "",
        "Attribution is rule-based (`bot/research/attribution.py`, `bot/research/speakers.py`): no model, nothing "
        "downloaded, work linear in the article's length.",
        "",
        "## Results",
        "",
        _row("measure", "value", "n", "target"),
        _row("---", "---", "---", "---"),
        _row("speaker precision", f"{scores.speaker_precision:.3f}", scores.found_speakers, f"≥ {TARGET:.2f}"),
        _row("speaker recall", f"{scores.speaker_recall:.3f}", scores.expected_speakers, f"≥ {TARGET:.2f}"),
        _row("chain (via) precision", f"{scores.chain_precision:.3f}", scores.found_chains, f"≥ {TARGET:.2f}"),
        _row("chain (via) recall", f"{scores.chain_recall:.3f}", scores.expected_chains, f"≥ {TARGET:.2f}"),
        _row("role right, of speakers found", f"{scores.role_accuracy:.3f}", "", "(reported only)"),
        _row("anonymous flag right, of quotes found", f"{scores.anonymous_accuracy:.3f}", "", "(reported only)"),
        "",
        f"{scores.cases} cases, {expected} expected pieces of speech "
        f"({scores.expected_speakers} with a speaker, {scores.expected_chains} with a chain). Cases by kind: "
        + ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items())) + ".",
        "",
        f"Speed: {speed[0] / 1e6:.1f} million characters a second of CPU on {speed[1]:,} characters of case "
        "bodies (one process, this machine).",
        "",
        "## Measures",
        "",
        "- An expected quote is found when a found quote contains its distinctive words; one found quote may "
        "cover several expected ones (a quotation over paragraphs is one quote).",
        "- Speaker recall: expected quotes with a speaker, found with that speaker. Speaker precision: found "
        "quotes with a speaker whose speaker is right for every expected quote they contain; a found quote "
        "that contains none (a title given a speaker) counts against it.",
        "- Chain recall: expected quotes with a chain, found with exactly that chain, in order. Chain precision: "
        "found quotes with a chain whose chain is the expected one.",
        "- Names compare case-insensitively, without a leading article.",
        "",
        "## Misses",
        "",
    ]
    if scores.misses:
        lines += [_row("case", "measure", "words", "expected", "found"), _row("---", "---", "---", "---", "---")]
        lines += [_row(m.case, m.measure, m.words, m.expected, m.found) for m in scores.misses]
    else:
        lines.append("None on this set.")
    return "\n".join([*lines, "", HOW_WRITTEN])


def main() -> int:
    if not CASES.is_file():
        print(f"eval-attribution: no cases at {CASES}", file=sys.stderr)
        return 1
    cases = load_cases(CASES) + (load_cases(HELD_OUT) if HELD_OUT.is_file() else [])
    scores = score(cases)
    REPORT.write_text(report(cases, scores, _speed(cases)), encoding="utf-8")
    print(f"speaker P {scores.speaker_precision:.3f} R {scores.speaker_recall:.3f}; chain P "
          f"{scores.chain_precision:.3f} R {scores.chain_recall:.3f}; {len(scores.misses)} misses; wrote {REPORT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
