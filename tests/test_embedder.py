from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest import embedder as embedder_module
from ingest.chunking import chunk_article
from ingest.embedder import (
    BATCH_WORD_PIECES,
    DIMENSION,
    MAX_WORD_PIECES,
    EmbedderIntegrityError,
    MiniLMEmbeddings,
    word_piece_batches,
)
from tests.budget import within
from tests.conftest import SAMPLES


def test_paraphrase_is_closer_than_unrelated(embeddings: MiniLMEmbeddings) -> None:
    vectors = np.array(embeddings.embed_documents([
        "The central bank raised interest rates by a quarter point.",
        "Borrowing costs went up 0.25 percentage points after the central bank's decision.",
        "The striker scored twice in the second half of the cup final.",
    ]))
    paraphrase, unrelated = vectors[0] @ vectors[1], vectors[0] @ vectors[2]
    assert paraphrase > unrelated + 0.3, (paraphrase, unrelated)


def test_vectors_are_unit_length_and_keep_input_order(embeddings: MiniLMEmbeddings) -> None:
    texts = ["a much longer sentence about elections and ballots " * 5, "short", "medium length text here"]
    together = embeddings.embed(texts)
    alone = np.array([embeddings.embed_query(t) for t in texts])
    assert together.shape == (3, DIMENSION)
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    # Length-sorted, padded batches must give each text the vector it gets alone.
    np.testing.assert_allclose(together, alone, atol=1e-4)


def test_tampered_tokenizer_is_rejected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "tokenizer.json"
    fake.write_text("{}")
    monkeypatch.setattr(embedder_module, "TOKENIZER_PATH", fake)
    with pytest.raises(EmbedderIntegrityError, match="sha256"):
        MiniLMEmbeddings()


def test_word_piece_count_is_untruncated(embeddings: MiniLMEmbeddings) -> None:
    assert embeddings.count_word_pieces("word " * 400) == 402  # 400 words + [CLS] + [SEP]


def test_a_question_alone_gets_the_vector_it_gets_in_a_batch(embeddings: MiniLMEmbeddings) -> None:
    # Single questions go through a second ONNX session (threads that do not spin); it must be the same model.
    texts = ["What did the mayor say about the flood barrier?", "Ferry crews strike over shifts",
             "Seagrass meadows recover", "Battery plant water use"]
    batch = embeddings.embed(texts)
    alone = np.stack([embeddings.embed([text])[0] for text in texts])
    assert np.allclose(alone, batch, atol=1e-5)
    assert np.allclose(embeddings.embed_query(texts[0]), batch[0], atol=1e-5)


def _sessions(embedder: MiniLMEmbeddings) -> int:
    import onnxruntime as ort

    return sum(isinstance(value, ort.InferenceSession) for value in vars(embedder).values())


def test_questions_alone_load_one_session_and_batches_the_other() -> None:
    # Each onnxruntime session holds its own copy of the model (about 75 MB of RSS): the Telegram bot, which
    # only embeds questions, must not pay for the batch session too (#14, bench/bot_memory.py).
    embedder = MiniLMEmbeddings()
    embedder.embed_query("What did the mayor say?")
    assert _sessions(embedder) == 1, "a question must load only the question session"
    embedder.embed(["one", "two", "three"])
    assert _sessions(embedder) == 2, "a batch loads the batch session"


class RecordingSession:
    """onnxruntime's session, recording the (texts, word pieces) shape of every batch it is given."""

    def __init__(self, session: object) -> None:
        self._session, self.shapes = session, []

    def run(self, outputs: object, feed: dict[str, np.ndarray], *args: object) -> object:
        self.shapes.append(feed["input_ids"].shape)
        return self._session.run(outputs, feed, *args)


def _sample_chunks(embedder: MiniLMEmbeddings) -> list[str]:
    """Every chunk of the sample articles, as an ingest stores them: real news text, most chunks near full length."""
    texts = []
    for path in sorted(SAMPLES.glob("*.txt")):
        body = path.read_text(encoding="utf-8")
        texts += [c.text for c in chunk_article(path.stem, body, max_tokens=200, overlap=30,
                                                count_word_pieces=embedder.count_word_pieces)]
    return texts


def test_batches_stay_within_the_word_piece_budget_and_vectors_do_not_depend_on_the_batches(
        embeddings: MiniLMEmbeddings) -> None:
    # onnxruntime's working memory grows with texts x length²: 32 full-length chunks in one batch took the
    # ingest's peak RSS past 1 GB (#14). The vectors must be the very ones one big batch gives.
    texts = _sample_chunks(embeddings) + [f"Short headline number {i}" for i in range(40)]
    long_ones = [t for t in texts if embeddings.count_word_pieces(t) > 128]
    assert len(long_ones) > 8, "the samples have enough long chunks to fill more than one batch"
    recorder = RecordingSession(embeddings._session)
    embeddings.__dict__["_session"] = recorder
    try:
        vectors = embeddings.embed(texts)
        assert recorder.shapes and all(n * width <= BATCH_WORD_PIECES for n, width in recorder.shapes), recorder.shapes
        assert any(n == 32 for n, _ in recorder.shapes), f"short texts still go 32 at a time: {recorder.shapes}"
        encodings = embeddings._tokenizer.encode_batch(long_ones[:32])
        one_batch = embeddings._embed_batch(encodings, recorder._session)  # as before: 32 texts at once
    finally:
        embeddings.__dict__["_session"] = recorder._session
    assert np.array_equal(vectors[[texts.index(t) for t in long_ones[:32]]], one_batch), "bit-identical vectors"


def test_the_batch_session_plans_no_memory_pattern_and_gives_the_same_vectors(embeddings: MiniLMEmbeddings) -> None:
    # A memory pattern is planned per input shape, and batches come in many: off, the ingest peaked lower (#14).
    assert embeddings._session.get_session_options().enable_mem_pattern is False
    texts = _sample_chunks(embeddings)[:12]
    with_pattern = embedder_module._new_session(embeddings._model, embeddings._model_stat, 2, spin=True,
                                                cache_dir=None, mem_pattern=True)
    batched = embeddings.embed(texts)
    embeddings.__dict__["_session"], without = with_pattern, embeddings._session
    try:
        assert np.array_equal(embeddings.embed(texts), batched), "bit-identical vectors with the pattern on or off"
    finally:
        embeddings.__dict__["_session"] = without


@pytest.mark.fuzz
@given(st.lists(st.integers(1, MAX_WORD_PIECES), max_size=300), st.integers(1, 64), st.integers(1, 4096))
def test_word_piece_batches_cover_each_text_once_within_both_limits(lengths: list[int], most_texts: int,
                                                                    most_word_pieces: int) -> None:
    batches = within(1.0, word_piece_batches, lengths, most_texts, most_word_pieces)
    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))
    for batch in batches:
        assert len(batch) <= most_texts
        assert len(batch) == 1 or len(batch) * max(lengths[i] for i in batch) <= most_word_pieces, batch
    ordered = [lengths[i] for batch in batches for i in batch]
    assert ordered == sorted(ordered), "shortest first, so each batch wastes little padding"


def test_batches_of_two_long_chunks_in_an_ingest_never_make_the_question_session() -> None:
    # With a budget of 2 full-length chunks per batch, choosing the session per batch sent most of an ingest
    # through the question session, and made both sessions (each holds its own copy of the model).
    embedder = MiniLMEmbeddings()
    long_ones = [t for t in _sample_chunks(embedder) if embedder.count_word_pieces(t) > BATCH_WORD_PIECES // 3][:6]
    assert len(long_ones) == 6, "the samples have long chunks"
    embedder.embed(long_ones)
    assert "_query_session" not in vars(embedder) and "_session" in vars(embedder), "one session, the batch one"
