"""The LangChain adapter of the MiniLM embedder (``ingest.embedder_langchain``): a real ``Embeddings``, the same
vectors as the plain embedder, which itself imports no LangChain (#16)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from langchain_core.embeddings import Embeddings

from ingest.embedder import MiniLMEmbeddings
from ingest.embedder_langchain import LangChainEmbeddings
from tests.conftest import ROOT


def test_the_adapter_is_a_langchain_embeddings_with_the_same_vectors(embeddings: MiniLMEmbeddings) -> None:
    adapter = LangChainEmbeddings(embeddings)
    texts = ["What did the mayor say about the flood barrier?", "Ferry crews walk out"]
    assert isinstance(adapter, Embeddings)
    assert np.array_equal(np.array(adapter.embed_documents(texts), dtype=np.float32), embeddings.embed(texts))
    assert np.array_equal(np.array(adapter.embed_query(texts[0]), dtype=np.float32), embeddings.embed(texts[:1])[0])


def test_the_plain_embedder_imports_no_langchain() -> None:
    probe = "import sys, ingest.embedder\nprint(sorted(m for m in sys.modules if m.startswith('langchain')))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True,
                          timeout=120)
    assert done.stdout.strip() == "[]"
