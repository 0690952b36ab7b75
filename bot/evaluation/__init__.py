"""Retrieval evaluation on MultiHop-RAG: loading the data, the metrics and the reports."""
