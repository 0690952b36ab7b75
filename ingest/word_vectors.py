"""Static word-piece vectors of the shipped MiniLM: how near two words are, with no model run and no new weights.

The ONNX model's first layer is a table of one vector per word piece (30,522 × 384, stored as int8 rows with a
scale per row). Words whose whole form is one word piece ("quake", "earthquake", "fell", "dropped") can be
compared by the cosine of their rows: "quake"/"earthquake" 0.76, "pay"/"paid" 0.77, "died"/"killed" 0.58, while
"Turkey"/"earthquake" is 0.05. The answerer uses it to count a paraphrase as covering a question's word
(``bot.answering.coverage``). The row scale does not change a cosine, so the int8 rows are normalised as they are.

The table is read once from the model file by walking its protobuf (no ``onnx`` package: only the few fields
on the way to one initializer are decoded) and kept as a float16 ``.npy`` in the optimized-model cache folder,
which later starts load in milliseconds.

SEE: https://github.com/onnx/onnx/blob/main/onnx/onnx.proto (ModelProto.graph = 7, GraphProto.initializer = 5,
TensorProto.name = 8, raw_data = 9)
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ingest.embedder import DIMENSION, MODEL_SHA256, TOKENIZER_PATH, TOKENIZER_SHA256, _checked, _model_path

#: The initializer holding the quantized word-piece rows, as the int8 export names it.
TABLE_NAME = "inner.embeddings.word_embeddings.weight_q"
VOCABULARY = 30522
CACHE_FILE = f"minilm-word-pieces-{MODEL_SHA256[:16]}-v1.npy"


class WordVectorsError(RuntimeError):
    """The model file does not hold the word-piece table where the int8 export puts it."""


def _varint(data: memoryview, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def _fields(data: memoryview) -> Iterator[tuple[int, memoryview | None]]:
    """(field number, bytes) of each length-delimited field of a protobuf message; other fields as (number, None)."""
    i = 0
    while i < len(data):
        key, i = _varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            _, i = _varint(data, i)
            yield number, None
        elif wire == 2:
            size, i = _varint(data, i)
            yield number, data[i : i + size]
            i += size
        elif wire in (1, 5):
            i += 8 if wire == 1 else 4
            yield number, None
        else:  # groups (3, 4) are not used by onnx.proto
            raise WordVectorsError(f"unexpected protobuf wire type {wire}")


def read_table(model: Path) -> np.ndarray:
    """The word-piece rows of ``model`` as unit vectors (float16, VOCABULARY × DIMENSION)."""
    try:
        return _table(memoryview(model.read_bytes()))
    except IndexError:  # a varint or a field running past the end of the file
        raise WordVectorsError(f"{model} is cut short: no {VOCABULARY}×{DIMENSION} int8 initializer") from None


def _table(data: memoryview) -> np.ndarray:
    graph = next((v for n, v in _fields(data) if n == 7 and v is not None), None)
    for number, tensor in _fields(graph) if graph is not None else ():
        if number != 5 or tensor is None:
            continue
        parts = {n: v for n, v in _fields(tensor) if n in (8, 9)}
        if 8 in parts and bytes(parts[8]) == TABLE_NAME.encode() and 9 in parts:
            rows = np.frombuffer(parts[9], dtype=np.int8)
            if rows.size != VOCABULARY * DIMENSION:
                break
            table = rows.reshape(VOCABULARY, DIMENSION).astype(np.float32)
            table /= np.maximum(np.linalg.norm(table, axis=1, keepdims=True), 1e-9)
            return table.astype(np.float16)
    raise WordVectorsError(f"the model has no {VOCABULARY}×{DIMENSION} int8 initializer {TABLE_NAME}")


@dataclass(frozen=True, slots=True)
class WordVectors:
    """One unit vector per word piece, and the word pieces by text (lower case, as the uncased tokenizer reads)."""

    ids: Mapping[str, int]
    table: np.ndarray = field(repr=False)

    def similarities(self, words: list[str], others: list[str]) -> np.ndarray:
        """Cosines, ``len(words)`` × ``len(others)``; 0 for a word that is not one whole word piece (a rare word
        split into pieces has no row of its own: its own spelling is all that matches it)."""
        a = [self.ids.get(w.lower(), -1) for w in words]
        b = [self.ids.get(w.lower(), -1) for w in others]
        result = np.zeros((len(a), len(b)), dtype=np.float32)
        known_a = [i for i, x in enumerate(a) if x >= 0]
        known_b = [j for j, x in enumerate(b) if x >= 0]
        if known_a and known_b:
            # float32 for the product: numpy multiplies float16 without BLAS, many times slower.
            left = self.table[[a[i] for i in known_a]].astype(np.float32)
            right = self.table[[b[j] for j in known_b]].astype(np.float32)
            result[np.ix_(known_a, known_b)] = left @ right.T
        return result


def _vocabulary() -> dict[str, int]:
    spec = json.loads(_checked(TOKENIZER_PATH, TOKENIZER_SHA256).read_text(encoding="utf-8"))
    return {piece: i for piece, i in spec["model"]["vocab"].items() if not piece.startswith("##")}


def load_word_vectors(cache_dir: Path | None = None, model: Path | None = None) -> WordVectors:
    """The word-piece vectors, from ``cache_dir``'s ``.npy`` when it is there, else read from the model (checked
    against its pinned hash) and written there for the next start; ``cache_dir`` None: read each time."""
    cached = cache_dir / CACHE_FILE if cache_dir is not None else None
    if cached is not None and cached.is_file():
        with contextlib.suppress(ValueError, OSError, EOFError):  # damaged: read again from the model
            table = np.load(cached, allow_pickle=False)
            if table.shape == (VOCABULARY, DIMENSION) and table.dtype == np.float16:
                return WordVectors(_vocabulary(), table)
    table = read_table(_checked(model or _model_path(), MODEL_SHA256) if model is None else model)
    if cached is not None:
        with contextlib.suppress(OSError):  # a read-only data directory: read from the model at each start
            cached.parent.mkdir(parents=True, exist_ok=True)
            handle, staging = tempfile.mkstemp(prefix="word-pieces.", suffix=".npy", dir=cached.parent)
            with os.fdopen(handle, "wb") as out:
                np.save(out, table, allow_pickle=False)
            os.replace(staging, cached)  # whole or absent: a reader never sees half a file
    return WordVectors(_vocabulary(), table)
