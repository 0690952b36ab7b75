"""``newsdesk eval multihop``: load MultiHop-RAG-format files, run the bot, aggregate and render the report.

The corpus goes into its own collection (on disk in ``<data_dir>/eval-multihop``, or on the configured Chroma
server as ``eval_multihop_<hash>``), reused between runs and kept equal to the corpus. The bot is used only
through ``Newsdesk.retrieve`` and ``Newsdesk.ask``; the chunking is reproduced with
``ingest.chunking.chunk_article`` for the fact-coverage ceiling. Metrics: ``bot.evaluation.metrics``.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.errors import NewsdeskError
from bot.evaluation.answers import (
    ANSWER_PROMPT,
    AnswerOutcome,
    RecordingClient,
    score_answer,
    summarise,
    use_answer_style,
)
from bot.evaluation.metrics import (
    K,
    QueryOutcome,
    Stat,
    aggregate,
    fact_covered,
    normalise,
    score_ranking,
    set_recall,
)
from bot.evaluation.metrics import upstream_header as header
from bot.service import TOKENIZER_NAME, Newsdesk
from ingest.articles import ArticleParseError
from ingest.chunking import chunk_article
from ingest.embedder import MODEL_NAME
from ingest.loaders import load_file
from ingest.types import Passage

EVAL_DIR = "eval-multihop"
#: The eval collection's name on a Chroma server is ``eval_multihop_<hash>`` (the user's are ``news_<hash>``).
EVAL_COLLECTION_PREFIX = "eval_multihop"
NULL_TYPE = "null_query"
UPSTREAM_TYPES = frozenset({"inference_query", "comparison_query", "temporal_query", NULL_TYPE})
#: sha256 of upstream ``dataset/corpus.json`` (its Git LFS oid; shared/data/multihop-rag/README.md).
UPSTREAM_CORPUS_SHA256 = "20b61b5ab84de84a927420c5d265b7ec8d859ae49980699958a787ade9e4d28f"


class EvalDataError(NewsdeskError):
    """A corpus or queries file the evaluation cannot use; the message names the file and the entry."""


@dataclass(frozen=True, slots=True)
class GoldItem:
    """One ``evidence_list`` entry; free-form sets may leave out any of the three fields."""

    fact: str | None
    url: str | None
    source: str | None


@dataclass(frozen=True, slots=True)
class EvalQuery:
    qid: str
    query: str
    question_type: str
    is_null: bool
    evidence: tuple[GoldItem, ...]
    answer: str = ""  # the gold answer ("Insufficient information." for upstream null queries)
    #: Kinds the file gives the question ("tags": [...] or "kind": "..."), for per-kind reports.
    tags: tuple[str, ...] = ()

    @property
    def facts(self) -> list[str]:
        return [e.fact for e in self.evidence if e.fact]

    @property
    def urls(self) -> set[str]:
        return {e.url for e in self.evidence if e.url}

    @property
    def sources(self) -> set[str]:
        return {e.source for e in self.evidence if e.source}


@dataclass(frozen=True, slots=True)
class CorpusArticle:
    """A corpus record with the id and body that ingest stores for it, and its raw header fields."""

    article_id: str
    url: str
    title: str
    published_at: str
    source: str
    body: str


class Corpus:
    """The corpus file, its sha256 and its articles by url and by stored article id."""

    def __init__(self, path: Path, sha256: str, articles: Sequence[CorpusArticle]) -> None:
        self.path, self.sha256, self.articles = path, sha256, tuple(articles)
        self.by_url = {a.url: a for a in self.articles}
        self.by_id: dict[str, list[CorpusArticle]] = {}
        for article in self.articles:  # one stored article per distinct body; copies share the id
            self.by_id.setdefault(article.article_id, []).append(article)


@dataclass(frozen=True, slots=True)
class EvalRun:
    """One evaluation: where the numbers came from, overall and per ``question_type`` (with its n)."""

    command: str
    started: str
    corpus: Corpus
    queries_path: Path
    n_queries: int
    overall: dict[str, Stat]
    by_type: dict[str, tuple[int, dict[str, Stat]]]
    settings: dict[str, Any]
    seconds: float
    #: ``--answers`` only: accuracy and citation shares, overall and per ``question_type`` (with its n).
    answers: dict[str, Stat] | None = None
    answers_by_type: dict[str, tuple[int, dict[str, Stat]]] | None = None


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()  # both files are a few MB at most


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as error:
        raise EvalDataError(f"cannot read the {what} file {path}: {error}") from error
    except ValueError as error:
        raise EvalDataError(f"the {what} file {path} is not valid JSON: {error}") from error


def _optional_str(item: Mapping[str, Any], key: str, where: str) -> str | None:
    value = item.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise EvalDataError(f"{where}: '{key}' must be a string, got {type(value).__name__}")
    return value if value.strip() or key == "fact" else None  # a blank fact is an error, not a missing one


def _query(record: Any, where: str) -> EvalQuery:
    if not isinstance(record, dict):
        raise EvalDataError(f"{where}: expected an object, got {type(record).__name__}")
    text = record.get("query")
    if not isinstance(text, str) or not text.strip():
        raise EvalDataError(f"{where}: no 'query' string")
    question_type = record.get("question_type", "free_form")
    if not isinstance(question_type, str) or not question_type.strip():
        raise EvalDataError(f"{where}: 'question_type' must be a non-empty string")
    flag = record.get("null_query", False)
    if not isinstance(flag, bool):
        raise EvalDataError(f"{where}: 'null_query' must be true or false")
    evidence = record.get("evidence_list", [])
    if not isinstance(evidence, list):
        raise EvalDataError(f"{where}: 'evidence_list' must be a list")
    items = []
    for number, item in enumerate(evidence):
        here = f"{where}, evidence #{number}"
        if not isinstance(item, dict):
            raise EvalDataError(f"{here}: expected an object")
        gold = GoldItem(*(_optional_str(item, key, here) for key in ("fact", "url", "source")))
        if gold.fact is not None and not gold.fact.strip():
            raise EvalDataError(f"{here}: the fact is blank")
        if gold == GoldItem(None, None, None):
            raise EvalDataError(f"{here}: needs at least one of 'fact', 'url', 'source'")
        items.append(gold)
    is_null = question_type == NULL_TYPE or flag
    gold = record.get("answer", "")
    if not isinstance(gold, str):
        raise EvalDataError(f"{where}: 'answer' must be a string")
    tags = record.get("tags", [record["kind"]] if "kind" in record else [])
    if not isinstance(tags, list) or not all(isinstance(tag, str) and tag.strip() for tag in tags):
        raise EvalDataError(f"{where}: 'tags' must be a list of strings ('kind': one string)")
    return EvalQuery(str(record.get("qid", "")), text.strip(), question_type, is_null, () if is_null else tuple(items),
                     gold, tuple(tags))


def load_queries(path: Path) -> list[EvalQuery]:
    """Queries in MultiHop-RAG format (``dev.json``) or ours (free-form types, ``"null_query": true``)."""
    data = _read_json(path, "queries")
    if isinstance(data, dict) and isinstance(data.get("queries"), list):
        data = data["queries"]
    if not isinstance(data, list) or not data:
        raise EvalDataError(f"{path}: expected a non-empty JSON list of query objects "
                            "(fields: query, question_type, evidence_list[fact, url, source])")
    return [_query(record, f"{path}: query #{i}") for i, record in enumerate(data)]


def load_query_files(paths: Sequence[Path]) -> list[EvalQuery]:
    """The queries of several files, in order; a qid given twice (within or across files) is an error, since
    folds and reports name questions by it."""
    queries: list[EvalQuery] = []
    seen: dict[str, Path] = {}
    for path in paths:
        for query in load_queries(path):
            if query.qid in seen:
                where = "twice in it" if seen[query.qid] == path else f"also in {seen[query.qid]}"
                raise EvalDataError(f"{path}: qid {query.qid!r} is given {where}")
            if query.qid:
                seen[query.qid] = path
            queries.append(query)
    return queries


def load_corpus(path: Path) -> Corpus:
    """The MultiHop-RAG corpus, parsed by the same loader ``ingest --format multihop`` uses."""
    records = _read_json(path, "corpus")
    if not isinstance(records, list) or not records:
        raise EvalDataError(f"{path}: expected a non-empty JSON list of MultiHop-RAG articles")
    try:
        parsed = list(load_file(path, "multihop"))
    except ArticleParseError as error:
        raise EvalDataError(f"{path}: {error.reason}") from error
    articles = []
    for record, article in zip(records, parsed, strict=True):
        if isinstance(article, ArticleParseError):
            raise EvalDataError(f"cannot ingest {article.source}: {article.reason}")
        articles.append(CorpusArticle(article.id, str(record["url"]), str(record["title"]),
                                      str(record["published_at"]), str(record["source"]), article.body))
    return Corpus(path, sha256_of(path), articles)


def open_eval_desk(desk: Newsdesk) -> Newsdesk:
    """A Newsdesk on the eval collection, sharing the loaded embedder and registry: in ``<data_dir>/eval-multihop``,
    or, when a Chroma server is configured, on that server under its own name (``eval_multihop_<hash>``), so that
    the corpus never mixes with the user's articles and ``reset`` never removes it. Its lock, index cache and
    snapshot stay in ``<data_dir>/eval-multihop`` either way."""
    settings = desk.settings.model_copy(update={"data_dir": desk.settings.data_dir / EVAL_DIR})
    # On disk the collection keeps the usual name: a folder of its own already keeps it apart, and a renamed one
    # would make every existing eval collection embed the 609 articles again.
    prefix = EVAL_COLLECTION_PREFIX if settings.chroma_url else "news"
    return Newsdesk(settings, registry=desk.registry, embeddings=desk.embeddings, collection_prefix=prefix)


def eval_store(eval_desk: Newsdesk) -> str:
    """Where the eval collection is, for messages and the report: its folder, or its name on the server."""
    settings = eval_desk.settings
    if settings.chroma_url:
        from ingest.store_client import server_label

        return f"{eval_desk.collection_name} on {server_label(settings.chroma_url)}"
    return str(settings.data_dir)


def sync_collection(desk: Newsdesk, corpus: Corpus,
                    on_article: Callable[[], None] | None = None) -> dict[str, int]:
    """Make the eval collection hold exactly the corpus: incremental ingest, then drop articles not in it."""
    report = desk.ingest([str(corpus.path)], fmt="multihop", on_article=on_article)
    if report.failed:
        first = report.failed[0]
        raise EvalDataError(f"{len(report.failed)} corpus articles failed to ingest; first: {first.source}: "
                            f"{first.error}")
    kept = {*report.added, *report.updated, *report.unchanged, *report.linked}
    stale = [record.id for record in desk.sources() if record.id not in kept]
    removed, _ = desk.remove(stale) if stale else ([], [])
    return {"added": len(report.added), "updated": len(report.updated), "unchanged": len(report.unchanged),
            "linked": len(report.linked), "removed": len(removed), "chunks_written": report.chunks}


def coverage_map(desk: Newsdesk, corpus: Corpus, queries: Iterable[EvalQuery]) -> dict[str, bool]:
    """Normalised gold fact → wholly inside at least one chunk the store holds (re-chunked like ingest does).

    The gold article (by url) is tried first; a fact not covered there is looked for in every article whose
    body contains it, so syndicated copies and url-less free-form facts are judged the same way.
    """
    settings, count = desk.settings, desk.embeddings.count_word_pieces
    chunks: dict[str, list[str]] = {}
    bodies: dict[str, str] = {}

    def chunks_of(article: CorpusArticle) -> list[str]:
        if article.article_id not in chunks:
            chunks[article.article_id] = [c.text for c in chunk_article(
                article.article_id, article.body, max_tokens=settings.chunk_tokens,
                overlap=settings.chunk_overlap, count_word_pieces=count)]
        return chunks[article.article_id]

    covered: dict[str, bool] = {}
    for query in queries:
        for item in query.evidence:
            if not item.fact or (key := normalise(item.fact)) in covered:
                continue
            gold = corpus.by_url.get(item.url or "")
            found = gold is not None and fact_covered(item.fact, chunks_of(gold))
            if not found:
                if not bodies:
                    bodies = {a.article_id: normalise(a.body) for a in corpus.articles}
                others = [a for a in corpus.articles if a is not gold and key in bodies[a.article_id]]
                found = any(fact_covered(item.fact, chunks_of(a)) for a in others)
            covered[key] = found
    return covered


def scored_text(passage: Passage, corpus: Corpus) -> str:
    """Upstream's scored text: the LlamaIndex metadata header (corpus title, published_at, source) + chunk."""
    records = corpus.by_id.get(passage.article_id)
    if records:
        record = records[0]
        return header(record.title, record.published_at, record.source) + passage.text
    outlet = passage.original.name if passage.original else ""
    return header(passage.title, passage.published_at or "", outlet) + passage.text


def evaluate_query(desk: Newsdesk, corpus: Corpus, query: EvalQuery,
                   recorder: RecordingClient | None = None) -> tuple[QueryOutcome, AnswerOutcome | None]:
    """Retrieve the top 10 (non-null queries with gold evidence only) and ask; score both. With ``recorder``
    (``--answers``) the configured model answers through the checked path and its answer is scored too."""
    retrieval = articles = outlets = None
    if not query.is_null and query.evidence:
        passages = desk.retrieve(query.query, k=K)
        if query.facts:
            retrieval = score_ranking([scored_text(p, corpus) for p in passages], query.facts)
        if query.urls:
            # Copies of one body are one stored article: a passage stands for every url that published it.
            got = {p.url for p in passages if p.url}
            got |= {a.url for p in passages for a in corpus.by_id.get(p.article_id, [])}
            articles = set_recall(query.urls, got)
    if recorder:
        recorder.last = None  # the answerer may return without calling the model: no stale reply from the last query
    answer = desk.ask(query.query, k=K, answerer="llm" if recorder else None)
    if not query.is_null and query.sources:
        cited: set[str] = set()
        for citation in answer.citations:
            records = corpus.by_id.get(citation.article_id)
            cited |= {r.source.casefold() for r in records} if records else {citation.outlet.name.casefold()}
        outlets = set_recall({s.casefold() for s in query.sources}, cited)
    scored = score_answer(query.question_type, query.answer, answer, recorder) if recorder else None
    return QueryOutcome(query.question_type, query.is_null, answer.abstained, retrieval, articles, outlets,
                        tuple(normalise(f) for f in query.facts)), scored


def run_eval(
    desk: Newsdesk,
    corpus_path: Path,
    queries_path: Path,
    *,
    command: str,
    limit: int | None = None,
    answers: bool = False,
    on_stage: Callable[[str], None] = lambda message: None,
    on_query: Callable[[int, int], None] = lambda done, total: None,
    on_article: Callable[[int, int], None] = lambda done, total: None,
) -> EvalRun:
    """Load, ingest (reusing the eval collection), score every query and aggregate, overall and by type.

    ``on_article`` and ``on_query`` hear (done, total) as the corpus is synced and the queries scored.
    ``answers``: the configured model also answers every query in the paper's style, scored as upstream does.

    Raises:
        LLMUnavailable: ``answers`` without a configured model (checked before anything is ingested).
    """
    begin, started = time.monotonic(), datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    queries, queries_sha256 = load_queries(queries_path)[:limit], sha256_of(queries_path)
    corpus = load_corpus(corpus_path)
    same = "byte-identical to upstream" if corpus.sha256 == UPSTREAM_CORPUS_SHA256 else "not the upstream file"
    on_stage(f"corpus {corpus_path}: {len(corpus.articles)} articles, sha256 {corpus.sha256} ({same})")
    eval_desk = open_eval_desk(desk)
    recorder = use_answer_style(eval_desk) if answers else None
    on_stage(f"syncing the eval collection in {eval_store(eval_desk)} (a first run embeds every article)")
    articles_done = iter(range(1, len(corpus.articles) + 1))
    synced = sync_collection(eval_desk, corpus, lambda: on_article(next(articles_done, len(corpus.articles)),
                                                                   len(corpus.articles)))
    reused = "reused unchanged" if synced["added"] + synced["updated"] + synced["removed"] == 0 else "updated"
    on_stage(f"collection {reused}: " + ", ".join(f"{key} {value}" for key, value in synced.items()))
    covered = coverage_map(eval_desk, corpus, queries)
    outcomes, answered = [], []
    for done, query in enumerate(queries, start=1):
        outcome, scored = evaluate_query(eval_desk, corpus, query, recorder)
        outcomes.append(outcome)
        answered += [scored] if scored else []
        on_query(done, len(queries))
    by_type = {}
    for question_type in sorted({o.question_type for o in outcomes}, key=lambda t: (t == NULL_TYPE, t)):
        group = [o for o in outcomes if o.question_type == question_type]
        by_type[question_type] = (len(group), aggregate(group, covered))
    settings = eval_desk.settings
    answers_by_type = {name: (len(group), summarise(group)) for name in by_type
                       if (group := [a for a in answered if a.question_type == name])}
    return EvalRun(
        command=command, started=started, corpus=corpus, queries_path=queries_path,
        n_queries=len(queries),
        overall=aggregate(outcomes, covered), by_type=by_type, seconds=round(time.monotonic() - begin, 1),
        settings={
            "k": K, "scored_text": "upstream metadata header (title, published_at, source) + chunk text",
            "header_included": True, "embedding_model": MODEL_NAME, "tokenizer": TOKENIZER_NAME,
            "chunk_tokens": settings.chunk_tokens, "chunk_overlap": settings.chunk_overlap,
            "ranker": eval_desk.retriever().ranker.describe(),
            "min_relevance": settings.min_relevance, "max_quotes": settings.max_quotes,
            "eval_data_dir": str(settings.data_dir), "eval_store": eval_store(eval_desk),
            "corpus": str(corpus_path), "queries": str(queries_path),
            "queries_sha256": queries_sha256, "limit": limit,
            "articles": len(eval_desk.sources()), "collection": synced,
            "newsdesk": importlib.metadata.version("newsdesk"),
            "answers": {"llm_provider": settings.llm_provider, "llm_model": settings.llm_model,
                        "prompt": f"prompts/{ANSWER_PROMPT}.md"} if answers else None,
        },
        answers=summarise(answered) if answers else None, answers_by_type=answers_by_type if answers else None,
    )
