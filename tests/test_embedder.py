from pathlib import Path

import numpy as np
import pytest

from ingest import embedder as embedder_module
from ingest.embedder import DIMENSION, EmbedderIntegrityError, MiniLMEmbeddings


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
