"""Rendering of ``newsdesk eval multihop`` results: the ``--json`` document, the text tables and the Markdown report."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.evaluation.answers import ANSWER_LABELS, ANSWER_METRICS
from bot.evaluation.metrics import LABELS, METRICS, Stat, ci95, format_stat
from bot.evaluation.multihop import UPSTREAM_CORPUS_SHA256, UPSTREAM_TYPES, EvalRun


def _values(stats: Mapping[str, Stat]) -> dict[str, float | None]:
    return {name: None if stats[name].value is None else round(stats[name].value, 4) for name in METRICS}


def _answer_values(stats: Mapping[str, Stat]) -> dict[str, float | None]:
    return {name: None if stats[name].value is None else round(stats[name].value, 4) for name in ANSWER_METRICS}


def to_json(run: EvalRun) -> dict[str, Any]:
    """The ``--json`` document: metric values (None where nothing was scored), ``by_type`` with ``n``."""
    return {
        **_values(run.overall),
        "by_type": {name: {**_values(stats), "n": n} for name, (n, stats) in run.by_type.items()},
        "n_queries": run.n_queries,
        **({"answers": {**_answer_values(run.answers), "by_type": {
            name: {**_answer_values(stats), "n": n} for name, (n, stats) in (run.answers_by_type or {}).items()}}}
           if run.answers is not None else {}),
        "corpus_sha256": run.corpus.sha256,
        "settings": run.settings,
        "seconds": run.seconds,
    }


# --- the Markdown report -------------------------------------------------------------------------------------

# (title, metrics, what the row's n counts)
_TABLES = (
    ("Retrieval as the paper scores it (null queries skipped)", ("hits@4", "hits@10", "mrr@10", "map@10"),
     lambda s: s["hits@4"].n),
    ("Multi-hop completeness and ceilings (not in the paper)",
     ("complete@10", "evidence_recall@10", "article_recall@10", "fact_coverage"), lambda s: s["complete@10"].n),
    ("Answers: cited outlets and abstention", ("outlet_recall", "false_abstention", "null_abstention"),
     lambda s: s["false_abstention"].n + s["null_abstention"].n),
)
# eval-multihop.md §6 / the data README: best embedding + bge-reranker-large, and the row labelled "Baseline".
_PUBLISHED = (("hits@10", "0.7467", "0.7059"), ("hits@4", "0.6625", "–"), ("mrr@10", "0.5860", "0.5477"),
              ("map@10", "not in the confirmed summaries", "–"))


def render_tables(run: EvalRun) -> str:
    """The overall and per-type tables (also what the command prints without ``--json``)."""
    rows = [("**overall**", run.overall), *((name, stats) for name, (_, stats) in run.by_type.items())]
    lines = []
    for title, names, count in _TABLES:
        lines += [f"### {title}", "", "| group | n | " + " | ".join(LABELS[m] for m in names) + " |",
                  "|---|---:|" + "---:|" * len(names)]
        for group, stats in rows:
            if any(stats[m].value is not None for m in names):
                cells = " | ".join(format_stat(m, stats[m]) for m in names)
                lines.append(f"| {group} | {count(stats)} | {cells} |")
        lines.append("")
    pooled = ("evidence_recall@10", "article_recall@10", "fact_coverage", "outlet_recall")
    lines.append("Denominators of the pooled shares, overall: "
                 + ", ".join(f"{LABELS[m]} {run.overall[m].n:,}" for m in pooled)
                 + " (gold facts, gold article urls, distinct gold facts, gold outlets).")
    return "\n".join(lines)


def _share(stat: Stat) -> str:
    return "–" if stat.value is None else f"{stat.value:.3f} ± {ci95(stat.value, stat.n):.3f} (n = {stat.n})"


def render_answers(run: EvalRun) -> str:
    """The ``--answers`` table: upstream-rule accuracy and the citation shares, overall and per type."""
    if run.answers is None:
        return ""
    model = (run.settings.get("answers") or {}).get("llm_model", "?")
    lines = [f"### Answers by the model `{model}` (`--answers`)", "",
             "| group | n | " + " | ".join(ANSWER_LABELS[m] for m in ANSWER_METRICS) + " |",
             "|---|---:|" + "---:|" * len(ANSWER_METRICS)]
    by_type = (run.answers_by_type or {}).items()
    rows = [("**overall**", run.n_queries, run.answers), *((name, n, stats) for name, (n, stats) in by_type)]
    lines += [f"| {group} | {n} | " + " | ".join(_share(stats[m]) for m in ANSWER_METRICS) + " |"
              for group, n, stats in rows]
    lines += ["", "Accuracy: upstream's rule (the quoted part of `The answer to the question is \"…\"`, then any "
              "shared lowercased word with the gold answer; punctuation kept), scored on the checked answer without "
              "its `[n]` markers. The sentence shares are pooled over the sentences of the checked answers.", ""]
    return "\n".join(lines)


def _published(run: EvalRun) -> list[str]:
    """Our numbers beside the paper's (only for upstream query types: the paper has nothing on free-form sets)."""
    if not set(run.by_type) & UPSTREAM_TYPES:
        return []
    scored = run.overall["hits@4"].n
    return [
        "## Compared with the published numbers", "",
        f"| metric | newsdesk (this run, n = {scored}) | paper: best embedding + bge-reranker-large | "
        "paper: row labelled \"Baseline\" |", "|---|---:|---:|---:|",
        *(f"| {LABELS[m]} | {format_stat(m, run.overall[m])} | {best} | {base} |" for m, best, base in _PUBLISHED), "",
        "The published numbers cover all 2,255 non-null upstream queries; the dev split holds 671 of them (about "
        "±0.037 at p = 0.6). They come from LlamaIndex 0.9.40 `SentenceSplitter(chunk_size=256)` with its default "
        "200-token overlap and the same metadata header, top-10 by embedding or top-20 reranked to 10. Our chunker "
        "differs, so compare with care (shared/notes/eval-multihop.md §3, §6). Published answer accuracy (0.56, "
        "GPT-4 on retrieved chunks) is not comparable with an extractive answerer and is not scored here.", "",
    ]


def render_markdown(run: EvalRun) -> str:
    """The whole report: how it was made, the settings, the tables, the published numbers, the definitions."""
    s, corpus = run.settings, run.corpus
    upstream = corpus.sha256 == UPSTREAM_CORPUS_SHA256
    collection = ", ".join(f"{k} {v}" for k, v in s["collection"].items())
    settings_rows = [
        ("retrieved per query (k)", f"{s['k']}, via `Newsdesk.retrieve(query, k=10)`; answers via `Newsdesk.ask`"),
        ("scored chunk text", "upstream metadata header (title, published_at, source) + chunk text: "
                              "**header included**"),
        ("embedding model / tokenizer", f"{s['embedding_model']} / {s['tokenizer']}"),
        ("chunking", f"{s['chunk_tokens']} tokens, overlap {s['chunk_overlap']}"),
        ("ranker", s.get("ranker", "–")),
        ("answerer", f"extractive; min_relevance {s['min_relevance']}, max_quotes {s['max_quotes']}"
                     + (f"; the model `{a['llm_model']}` (`--answers`, {a['prompt']}) answers for the accuracy table"
                        if (a := s.get("answers")) else "")),
        ("eval collection", f"`{s.get('eval_store', s['eval_data_dir'])}` ({s['articles']} articles; this run: "
                            f"{collection})"),
        ("newsdesk", s["newsdesk"]),
    ]
    lines = [
        f"# Evaluation: `{run.queries_path.name}` over `{corpus.path.name}`", "",
        f"Generated by `newsdesk eval multihop` on {run.started} in {run.seconds:.0f} s. Do not edit by hand: "
        "re-run the command below.", "",
        f"- Command: `{run.command}`",
        f"- Queries: `{run.queries_path}` (sha256 `{s['queries_sha256']}`): {run.n_queries} queries; "
        f"{run.overall['hits@4'].n} scored for retrieval, null queries: {run.overall['null_abstention'].n}.",
        f"- Corpus: `{corpus.path}`: {len(corpus.articles)} articles, sha256 `{corpus.sha256}`"
        + (" (byte-identical to upstream `corpus.json`; MultiHop-RAG, Tang & Yang, arXiv:2401.15391, "
           "ODC-BY 1.0)." if upstream else "."), "",
        "## Settings", "", "| setting | value |", "|---|---|", *(f"| {k} | {v} |" for k, v in settings_rows), "",
        "## Results", "",
        "Shares carry a 95% interval ±1.96·sqrt(p(1−p)/n), n being the metric's own denominator; the pooled "
        "recalls count items that are not independent (several facts per query), so their intervals are too "
        "narrow. MRR@10 and MAP@10 are means of non-binary values and carry no interval. `–`: does not apply.", "",
        render_tables(run), "",
        *([render_answers(run)] if run.answers is not None else []),
        *_published(run),
        "## Definitions", "",
        "Hits@4, Hits@10, MRR@10 and MAP@10 are computed exactly as upstream (shared/notes/eval-multihop.md §2) on "
        "the header + chunk text. The other metrics, and why outlets are matched through the quoted article rather "
        "than the outlet label shown, are defined in the README section \"Evaluation\".", "",
    ]
    return "\n".join(lines)
