"""Research briefs: who said what, reported by whom, when."""
