"""Answering: turn retrieved passages into a cited answer (the extractive answerer), label each passage's outlet."""
