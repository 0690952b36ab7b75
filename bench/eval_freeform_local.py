"""Free-form questions over ``samples/`` and ``../shared/data/realweb/``; writes docs/evaluation-freeform-local.md.

The questions are ``tests/data/freeform_local.json`` (see docs/freeform-local-set.md). The samples and every real
page and feed are ingested into a scratch collection under ``<data dir>/eval-local`` (an unchanged file is not
embedded again), and each question goes through the one door the adapters use, ``Newsdesk.retrieve`` and
``Newsdesk.ask`` (the quoting answerer, so no model is needed). Retrieval is scored with the functions of
``bot/evaluation/metrics.py``: a hit is a retrieved chunk that holds a gold fact after the same normalisation.
Without ``../shared`` only the questions whose evidence is in ``samples/`` (and the absent-topic ones, which are
absent from the smaller collection too) are asked. Run with ``make eval-freeform-local``.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.evaluation.metrics import (
    K,
    QueryOutcome,
    Stat,
    aggregate,
    first_relevant_rank,
    format_stat,
    normalise,
    score_ranking,
)
from bot.service import Newsdesk
from bot.settings import BotSettings
from bot.types import Answer

if TYPE_CHECKING:
    from ingest.embedder import MiniLMEmbeddings

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "tests" / "data" / "freeform_local.json"
SAMPLES = ROOT / "samples"
REALWEB = ROOT.parent / "shared" / "data" / "realweb"
REPORT = ROOT / "docs" / "evaluation-freeform-local.md"
EVAL_DIR = "eval-local"
NULL_TYPE = "null_query"
COMMAND = "make eval-freeform-local"


@dataclass(frozen=True, slots=True)
class Question:
    qid: str
    query: str
    answer: str
    question_type: str
    sources: tuple[str, ...]  # "samples/…" or "realweb/pages/…", one per evidence item
    facts: tuple[str, ...]

    @property
    def is_null(self) -> bool:
        return self.question_type == NULL_TYPE

    @property
    def group(self) -> str:
        """The row of the report: absent topic, two-article, or where its single fact lives."""
        if self.is_null:
            return "absent topic"
        if len(self.facts) > 1:
            return "two-article"
        return "samples" if self.sources[0].startswith("samples/") else "realweb"


@dataclass(frozen=True, slots=True)
class Result:
    question: Question
    rank: int | None  # first retrieved chunk (1..K) holding a gold fact
    abstained: bool
    with_evidence: bool  # answered, and a quoted sentence lies inside a gold fact or holds one
    outcome: QueryOutcome


@dataclass(frozen=True, slots=True)
class LocalRun:
    results: tuple[Result, ...]
    skipped: int  # questions left out because ../shared is absent
    sources: tuple[str, ...]
    collection: dict[str, int]
    started: str
    seconds: float


def load_questions(path: Path = QUESTIONS) -> list[Question]:
    """The set as typed values; ``source_file`` and ``fact`` of every evidence item are kept in order."""
    items = json.loads(path.read_text(encoding="utf-8"))
    return [Question(item["qid"], item["query"], item["answer"], item["question_type"],
                     tuple(e["source_file"] for e in item["evidence_list"]),
                     tuple(e["fact"] for e in item["evidence_list"])) for item in items]


def source_path(source_file: str, *, samples: Path = SAMPLES, realweb: Path = REALWEB) -> Path:
    """Where a ``source_file`` of the set lives: ``samples/x`` under ``samples``, ``realweb/x`` under ``realweb``."""
    head, _, rest = source_file.partition("/")
    return (samples if head == "samples" else realweb) / rest


def askable(questions: Sequence[Question], realweb_present: bool) -> list[Question]:
    """Every question, or without the real pages those whose evidence is all in ``samples/`` plus absent topics."""
    if realweb_present:
        return list(questions)
    return [q for q in questions if all(s.startswith("samples/") for s in q.sources)]


def collection_sources(realweb: Path | None, samples: Path = SAMPLES) -> list[Path]:
    """The samples, and every real page and feed when the folder is there (distractors count, as for a user)."""
    files = sorted(samples.glob("*.txt"))
    if realweb is not None:
        files += sorted((realweb / "pages").glob("*.html")) + sorted((realweb / "feeds").glob("*.xml"))
    return files


def sync(desk: Newsdesk, files: Sequence[Path]) -> dict[str, int]:
    """Make the scratch collection hold exactly ``files``: incremental ingest, then drop what is not among them.

    Items ingest refuses (feed entries without text) are counted as ``failed``, as a user's ingest would report
    them; no question's evidence is in one, so the run goes on."""
    report = desk.ingest([str(f) for f in files])
    kept = {*report.added, *report.updated, *report.unchanged, *report.linked}
    stale = [record.id for record in desk.sources() if record.id not in kept]
    removed, _ = desk.remove(stale) if stale else ([], [])
    return {"added": len(report.added), "updated": len(report.updated), "unchanged": len(report.unchanged),
            "linked": len(report.linked), "removed": len(removed), "failed": len(report.failed),
            "chunks_written": report.chunks}


def quotes_evidence(answer: Answer, facts: Sequence[str]) -> bool:
    """Whether an answer quotes the evidence: a quoted sentence inside a gold fact, or a gold fact inside a quote
    (a fact may be two sentences, a quote one)."""
    gold = [normalise(f) for f in facts]
    quotes = [normalise(c.quote) for c in answer.citations]
    return not answer.abstained and any(q and (q in f or f in q) for q in quotes for f in gold)


def ask(desk: Newsdesk, question: Question) -> Result:
    """Retrieve the top K and ask through the quoting answerer; score both."""
    retrieval = rank = None
    if not question.is_null:
        chunks = [p.text for p in desk.retrieve(question.query, k=K)]
        retrieval = score_ranking(chunks, question.facts)
        rank = first_relevant_rank(chunks, question.facts)
    answer = desk.ask(question.query, k=K, answerer="extractive")
    outcome = QueryOutcome(question.question_type, question.is_null, answer.abstained, retrieval,
                           facts=tuple(normalise(f) for f in question.facts))
    return Result(question, rank, answer.abstained, quotes_evidence(answer, question.facts), outcome)


def run(settings: BotSettings, questions: Sequence[Question], files: Sequence[Path], *, skipped: int = 0,
        embeddings: MiniLMEmbeddings | None = None, on_query: Callable[[int, int], None] = lambda done, total: None,
        ) -> LocalRun:
    """Sync ``<data dir>/eval-local`` with ``files`` and ask every question."""
    begin, started = time.monotonic(), datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    scratch = settings.model_copy(update={"data_dir": settings.data_dir / EVAL_DIR, "chroma_url": None})
    desk = Newsdesk(scratch, embeddings=embeddings)
    collection = sync(desk, files)
    results = []
    for done, question in enumerate(questions, start=1):
        results.append(ask(desk, question))
        on_query(done, len(questions))
    return LocalRun(tuple(results), skipped, tuple(str(f) for f in files), collection, started,
                    round(time.monotonic() - begin, 1))


def summary(results: Sequence[Result]) -> dict[str, Stat]:
    """The metrics of bot/evaluation/metrics.py, plus the share of answerable questions answered with evidence."""
    stats = aggregate([r.outcome for r in results], {})
    answerable = [r for r in results if not r.question.is_null]
    stats["with_evidence"] = Stat(sum(r.with_evidence for r in answerable) / len(answerable) if answerable else None,
                                  len(answerable))
    return stats


_COLUMNS = (("hits@4", "Hits@4"), ("hits@10", "Hits@10"), ("mrr@10", "MRR@10"),
            ("with_evidence", "answered with evidence"), ("false_abstention", "false abstention"),
            ("null_abstention", "absent-topic abstention"))


def _cell(name: str, stat: Stat) -> str:
    # with_evidence is a share like the others: reuse the "rate" formatting (value ± 95% interval).
    return format_stat("hits@4" if name == "with_evidence" else name, stat)


def failures(results: Sequence[Result]) -> list[Result]:
    """Questions that went wrong: evidence not in the top 4, answer without the evidence, or the wrong abstention."""
    return [r for r in results if (r.abstained != r.question.is_null)
            or (not r.question.is_null and (r.rank is None or r.rank > 4 or not r.with_evidence))]


def _what_went_wrong(result: Result) -> str:
    if result.question.is_null:
        return "answered an absent topic"
    rank = f"rank {result.rank}" if result.rank else f"not in top {K}"
    answer = "abstained" if result.abstained else ("quoted the evidence" if result.with_evidence
                                                   else "quoted other sentences")
    return f"evidence {rank}; {answer}"


def render(run: LocalRun, command: str = COMMAND) -> str:
    """The Markdown report: the command, the collection, a table by group, and every failure."""
    groups = ["absent topic", "samples", "realweb", "two-article"]
    rows = [("**all**", list(run.results))] + [(g, [r for r in run.results if r.question.group == g]) for g in groups]
    lines = [
        "# Free-form questions over the samples and real pages",
        "",
        f"Written by `{command}` ({run.started}, {run.seconds} s) from `tests/data/freeform_local.json`"
        f" ({len(run.results)} questions asked" + (f", {run.skipped} left out because `../shared` is absent"
                                                   if run.skipped else "") + ").",
        f"Collection: `<data dir>/{EVAL_DIR}`, {len(run.sources)} files (samples/ and every real page and feed);"
        " this run: " + ", ".join(f"{key} {value}" for key, value in run.collection.items())
        + " (failed: feed entries without text, which ingest refuses).",
        "Answers come from the quoting answerer (`ask`, no model). A hit is a retrieved chunk (top "
        f"{K}) that holds a gold fact after `bot/evaluation/metrics.py`'s normalisation; *answered with evidence*"
        " means not abstained and a quoted sentence lies inside a gold fact (or holds one). Shares carry a 95 %"
        " interval. This is a development set: don't tune to it and report final numbers from it.",
        "",
        "| group | n | " + " | ".join(label for _, label in _COLUMNS) + " |",
        "|---|---:|" + "---:|" * len(_COLUMNS),
    ]
    for group, results in rows:
        if results:
            stats = summary(results)
            lines.append(f"| {group} | {len(results)} | " + " | ".join(_cell(n, stats[n]) for n, _ in _COLUMNS) + " |")
    wrong = failures(run.results)
    lines += ["", f"## Failures ({len(wrong)})", "",
              "Evidence not in the top 4, an answer that does not quote it, or the wrong abstention.", "",
              "| qid | group | question | what went wrong |", "|---|---|---|---|"]
    lines += [f"| {r.question.qid} | {r.question.group} | {r.question.query.replace('|', '/')} | "
              f"{_what_went_wrong(r)} |" for r in wrong]
    return "\n".join(lines) + "\n"


def main() -> int:
    questions = load_questions()
    realweb = REALWEB if (REALWEB / "pages").is_dir() else None
    if realweb is None:
        print(f"no real pages at {REALWEB} (../shared is absent): asking only the samples/ and absent-topic "
              "questions", file=sys.stderr)
    chosen = askable(questions, realweb is not None)
    settings = BotSettings()
    print(f"syncing {settings.data_dir / EVAL_DIR} and asking {len(chosen)} questions", file=sys.stderr)
    result = run(settings, chosen, collection_sources(realweb), skipped=len(questions) - len(chosen),
                 on_query=lambda done, total: print(f"\r{done}/{total}", end="", file=sys.stderr))
    print(file=sys.stderr)
    REPORT.write_text(render(result), encoding="utf-8")
    print(REPORT.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
