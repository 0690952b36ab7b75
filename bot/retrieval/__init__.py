"""Retrieval: what a question asks for (outlets, dates, names), the fitted ranker and the hybrid retriever."""
