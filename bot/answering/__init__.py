"""Answering: turn retrieved passages into a cited answer, quoted (extractive) or written by a model and checked,
and label each passage's outlet."""
