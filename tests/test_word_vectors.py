"""The word-piece vectors of the shipped MiniLM (ingest/word_vectors.py): read from the real model file, cached
as a float16 .npy, and near for paraphrases only."""

from __future__ import annotations

import numpy as np
import pytest

from ingest.embedder import DIMENSION
from ingest.word_vectors import CACHE_FILE, VOCABULARY, WordVectorsError, load_word_vectors, read_table
from tests.budget import within


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("cache")
    load_word_vectors(folder)  # read from the model once and written as .npy
    return folder


def test_paraphrases_are_near_and_other_words_are_not(cache) -> None:
    vectors = load_word_vectors(cache)
    near = vectors.similarities(["earthquake", "paid"], ["quake", "pay", "turkey", "xqzvw"])
    assert near[0, 0] > 0.7 and near[1, 1] > 0.7, f"quake/earthquake and pay/paid are paraphrases: {near}"
    assert near[0, 2] < 0.2, "Turkey is no earthquake"
    assert near[0, 1] < 0.3 and near[1, 0] < 0.3
    assert near[0, 3] == near[1, 3] == 0.0, "a word with no word piece of its own matches nothing"
    assert vectors.similarities(["Quake"], ["EARTHQUAKE"])[0, 0] > 0.7, "the tokenizer is uncased, so are lookups"


def test_the_table_is_unit_rows_kept_as_float16_next_to_the_model_cache(cache) -> None:
    table = np.load(cache / CACHE_FILE)
    assert table.shape == (VOCABULARY, DIMENSION) and table.dtype == np.float16
    norms = np.linalg.norm(table[1000:1100].astype(np.float32), axis=1)
    assert np.allclose(norms, 1.0, atol=1e-2), "rows are unit vectors: a product is a cosine"


def test_a_cached_table_loads_fast(cache) -> None:
    within(1.0, load_word_vectors, cache)


def test_the_cache_is_what_later_starts_read(tmp_path) -> None:
    marked = np.zeros((VOCABULARY, DIMENSION), dtype=np.float16)
    marked[:, 0] = 1.0  # every word at cosine 1 with every other: not the model's table
    np.save(tmp_path / CACHE_FILE, marked)
    assert load_word_vectors(tmp_path).similarities(["earthquake"], ["turkey"])[0, 0] == 1.0


@pytest.mark.parametrize("content", [b"not a numpy file", b""], ids=["garbage", "empty"])
def test_a_damaged_cache_is_read_again_from_the_model(tmp_path, content: bytes) -> None:
    (tmp_path / CACHE_FILE).write_bytes(content)
    vectors = load_word_vectors(tmp_path)
    assert vectors.similarities(["earthquake"], ["turkey"])[0, 0] < 0.2
    assert np.load(tmp_path / CACHE_FILE).shape == (VOCABULARY, DIMENSION), "the damaged cache is replaced"


@pytest.mark.parametrize("content", [b"", b"\x3a\x00", b"\x3a\x04\x2a\x02\x42\x00", b"\x3a\x09\x2a", b"\x3a\xff"],
                         ids=["empty", "empty-graph", "initializer-without-name", "cut-short", "cut-in-a-varint"])
def test_a_model_without_the_table_is_a_clear_error(tmp_path, content: bytes) -> None:
    model = tmp_path / "model.onnx"
    model.write_bytes(content)
    with pytest.raises(WordVectorsError, match="no 30522×384 int8 initializer"):
        read_table(model)
