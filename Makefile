# Two commands set everything up: `make demo` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install lock test-install demo test browser lint bench bench-ingest bench-ingest-scale bench-growth bench-bot-memory bench-limits bench-ask bench-cli bench-telegram bench-sentences bench-dedup bench-scale calibrate crossval-abstention eval eval-freeform eval-freeform-72 eval-freeform-local eval-realweb eval-attribution fit-ranker fuzz clean

install: $(STAMP)

# The exact versions in constraints.txt, installed with the pip the venv comes with (not upgraded, so what
# `make` does is what a fresh venv does; `make test-install` checks that).
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# Refresh constraints.txt: the newest versions pyproject.toml allows, resolved in a fresh venv.
LOCK_VENV := build/lock-venv
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet -e '.[dev]'
	{ echo "# Exact versions that \`make install\` and CI install (pip install -c constraints.txt -e '.[dev]')."; \
	  echo "# Written by \`make lock\` from a fresh venv; do not edit by hand. Ranges live in pyproject.toml."; \
	  $(LOCK_VENV)/bin/python -m pip freeze --exclude-editable | grep -v -i -e '^newsdesk' -e '^#' -e '^-e '; \
	} > constraints.txt
	rm -rf $(LOCK_VENV)

# A fresh venv with Python's bundled pip installs from constraints.txt and can import every ingest module (minutes).
test-install: $(STAMP)
	$(BIN)/python -m pytest -q -m slow tests/test_install.py

demo: $(STAMP)
	$(BIN)/newsdesk ingest samples/
	$(BIN)/newsdesk ask "What did the mayor say about the cost of the flood barrier?"
	@if [ -t 0 ] && [ -t 1 ]; then $(BIN)/newsdesk chat; else echo "(not a terminal: skipping the chat; run $(BIN)/newsdesk chat)"; fi

test: $(STAMP) browser
	$(BIN)/python -m pytest -q -m "not slow"

# Debian's chromium, for the research brief's browser test (tests/test_research_browser.py). Idempotent; where
# apt-get or root is missing it says so and the test skips, naming the reason.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	{ if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		apt-get install -y -qq chromium >/dev/null 2>&1 || \
		{ apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1; } || \
		echo "(could not install chromium: the browser test will skip)"; \
	else echo "(no apt-get or not root: chromium not installed, the browser test will skip)"; fi; }

# The property tests of every parser and renderer with thousands of hostile examples each (`make test` runs a few hundred).
fuzz: $(STAMP)
	$(BIN)/python -m pytest -q -m fuzz --hypothesis-profile=fuzz

bench-ingest: $(STAMP)
	$(BIN)/python bench/ingest_speed.py

# Every benchmark that needs no optional install (bench-sentences installs the segmenters it compares).
bench: bench-ingest bench-limits bench-ask bench-dedup bench-cli bench-telegram bench-ingest-scale bench-growth \
	bench-bot-memory bench-scale

# Ingest throughput against the raw embedder on the same chunks, and the ingest's peak RSS, on the whole
# MultiHop-RAG corpus (tens of minutes on a loaded CPU); writes its section of docs/benchmarks.md.
bench-ingest-scale: $(STAMP)
	$(BIN)/python bench/ingest_scale.py

# Index build time and `ask` p50/p95 at 1k, 5k, 20k and 100k chunks (copies of the collection `make eval`
# builds), with the growth factor per step; writes its section of docs/benchmarks.md.
bench-growth: $(STAMP)
	$(BIN)/python bench/growth.py

# Peak RSS of `newsdesk telegram` over 20k chunks (the eval collection enlarged into <data dir>/bot-memory-20000)
# against the fake Bot API; writes its section of docs/benchmarks.md.
bench-bot-memory: $(STAMP)
	$(BIN)/python bench/bot_memory.py

# `ask` latency on 20k chunks, from the collection `make eval` builds; writes its section of docs/benchmarks.md.
# Parse, chunk and MinHash one article at the size limit, each case in a fresh process; writes its section of docs/benchmarks.md.
bench-limits: $(STAMP)
	$(BIN)/python bench/article_limits.py

bench-ask: $(STAMP)
	$(BIN)/python bench/ask_latency.py

# Near-copy lookup (MinHash LSH) at 1k, 10k and 100k synthetic articles against the old pairwise scan, and one
# signature of the largest allowed article; writes its section of docs/benchmarks.md (about a minute).
bench-dedup: $(STAMP)
	$(BIN)/python bench/dedup_scaling.py

# `ask` p50/p95 at 1k and 20k chunks on the on-disk store and through a real `chroma run`, and first ingest against an
# unchanged re-ingest on both, from the collection `make eval` builds; writes its section of docs/benchmarks.md.
bench-scale: $(STAMP)
	$(BIN)/python bench/scale.py

# Whole-process start-up of `newsdesk --help`, `sources` and `ask` on the samples; writes its section of docs/benchmarks.md.
bench-cli: $(STAMP)
	$(BIN)/python bench/cli_startup.py

# 20 chats x 50 questions against the fake Bot API on 127.0.0.1; writes its section of docs/benchmarks.md.
bench-telegram: $(STAMP)
	$(BIN)/python bench/telegram_load.py

# Sentence segmenters compared on tests/data/sentence_boundaries.txt and the MultiHop-RAG corpus; writes its
# section of docs/benchmarks.md. The libraries only compared (not project dependencies) are installed first.
bench-sentences: $(STAMP)
	$(BIN)/python -m pip install --quiet pysbd==0.3.4 sentencex==1.0.32 blingfire==0.1.8
	$(BIN)/python bench/sentence_segmenters.py

calibrate: $(STAMP)
	$(BIN)/python bench/calibrate_abstention.py

# The calibration cross-validated in the folds of eval-freeform (each fold chosen on dev and the other folds);
# freeform_local.json and the untouched 72 held out. Writes docs/calibration-crossval.md (minutes).
crossval-abstention: $(STAMP)
	$(BIN)/python bench/crossval_abstention.py

# MultiHop-RAG dev split (766 queries). The first run embeds the 609 articles into <data dir>/eval-multihop
# (minutes on a CPU); later runs reuse that collection. Writes docs/evaluation.md.
MULTIHOP := ../shared/data/multihop-rag
eval: $(STAMP)
	$(BIN)/newsdesk eval multihop --corpus $(MULTIHOP)/corpus.json --queries $(MULTIHOP)/dev.json \
		--output docs/evaluation.md

# The large free-form sets (tests/data/freeform_large_*.json), cross-validated: 5 folds that keep each article's
# questions together, each fold scored by a ranker fitted on the dev split and the other folds; also the dev split
# with the final fit. Writes docs/evaluation-freeform.md (minutes: every query's features, then 6 fits and the scoring).
eval-freeform: $(STAMP)
	$(BIN)/python bench/crossval_ranker.py

# The 72 untouched free-form questions, scored with the shipped ranker; writes docs/evaluation-freeform-72.md.
eval-freeform-72: $(STAMP)
	$(BIN)/newsdesk eval multihop --corpus $(MULTIHOP)/corpus.json --queries tests/data/freeform_dev.json \
		--output docs/evaluation-freeform-72.md

# Free-form questions over samples/ and the real pages and feeds of ../shared/data/realweb (samples/ only without
# it), asked in a scratch collection under <data dir>/eval-local; writes docs/evaluation-freeform-local.md.
eval-freeform-local: $(STAMP)
	$(BIN)/python bench/eval_freeform_local.py

# Outlet detection and feed ingestion on the real pages and feeds of ../shared/data/realweb; writes
# docs/evaluation-realweb.md (original right, self-republishers, named, classified, with n).
eval-realweb: $(STAMP)
	$(BIN)/python bench/eval_realweb.py

# Speaker and reporting-chain precision/recall of `newsdesk quotes` on tests/data/attribution_cases.json (seconds);
# writes docs/evaluation-attribution.md.
eval-attribution: $(STAMP)
	$(BIN)/python bench/eval_attribution.py

# Refit the retrieval ranker's weights (bot/data/ranker.json) on the dev split and tests/data/freeform_large_*.json
# (never tests/data/freeform_dev.json); uses the eval collection.
fit-ranker: $(STAMP)
	$(BIN)/python bench/fit_ranker.py

# Compile the openly licensed outlet datasets in ../shared/data/outlets/ into ingest/data/registry.json
# (the bundled registry's public part); `make registry` again after a dataset changes. See README "How outlets are flagged".
.PHONY: registry
registry: $(STAMP)
	$(BIN)/python tools/build_registry.py ../shared/data/outlets

lint: $(STAMP)
	$(BIN)/ruff check bot ingest tests bench tools

# Also the caches the tools write: pytest, ruff, hypothesis and Python's bytecode.
clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -not -path './.git/*' -exec rm -rf {} +
