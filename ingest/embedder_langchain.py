"""The MiniLM embedder as a LangChain ``Embeddings``, for code that needs a real subclass (a LangChain vector
store, a retriever chain). Kept apart from ``ingest.embedder`` so that embedding a question (`newsdesk ask`)
never imports LangChain (#16)."""

from __future__ import annotations

from langchain_core.embeddings import Embeddings

from ingest.embedder import MiniLMEmbeddings


class LangChainEmbeddings(Embeddings):
    """LangChain's ``Embeddings`` over a ``MiniLMEmbeddings``: the same vectors, as lists of floats."""

    def __init__(self, embedder: MiniLMEmbeddings) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.embed(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed([text])[0].tolist()
