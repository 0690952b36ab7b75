"""In-memory search structures over a whole collection, kept beside Chroma.

- BM25 (bm25s with the PyStemmer English stemmer and English stopwords) over each chunk's text plus a
  header of its article's title, outlet and date: questions name outlets, titles and dates far more often
  than chunk bodies do (measured in docs/evaluation.md).
- The chunk vectors, for exact dense scores of every chunk with one matrix product (a few ms for 20k chunks),
  so that lexical and dense rankings can be fused and filtered by outlet or date without extra queries.

Built from the store's export and cached on disk under ``<data_dir>/index/<collection>/``, keyed by a
fingerprint of the collection's chunk ids: any added, replaced or removed article changes the ids, so a
stale index is never used.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import shutil
import tempfile
import threading
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import Stemmer

from ingest.bm25_scores import SavedBM25
from ingest.sentences import SPLITTER, sentence_spans
from ingest.types import OutletRef, Passage

if TYPE_CHECKING:  # only types here: the store would import chromadb, bm25s scipy (#16: `ask` needs neither)
    import bm25s

    from ingest.store import ChunkStore

_STEMMER = "english"


#: Bumped whenever what the index holds changes, so caches written by older code are rebuilt
#: (3: sentences from nupunkt instead of a regex that broke after every abbreviation, #17).
INDEX_FORMAT = 3


def fingerprint(chunk_ids: list[str]) -> str:
    # The sentence splitter's identity is part of the key: the sentence BM25 holds its sentences.
    head = f"{INDEX_FORMAT}\n{SPLITTER}\n".encode()
    return hashlib.sha1(head + "\n".join(sorted(chunk_ids)).encode()).hexdigest()[:16]


def header(passage: Passage) -> str:
    """Title, outlet and date of a chunk's article, as indexed in front of its text."""
    outlets = {ref.name for ref in (passage.original, passage.publisher) if ref is not None}
    date = ""
    if passage.published_at:
        moment = datetime.fromisoformat(passage.published_at.replace("Z", "+00:00"))
        date = moment.strftime("%B %-d, %Y")
    return "\n".join([passage.title, *sorted(outlets), date])


def tokenize(texts: list[str]) -> list[list[str]]:
    import bm25s

    stemmer = Stemmer.Stemmer(_STEMMER)
    return bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, return_ids=False, show_progress=False)


_WORDS = re.compile(r"(?u)\b\w\w+\b").findall  # bm25s' own token pattern
#: bm25s' English stopwords (``bm25s.stopwords.STOPWORDS_EN``, which ``tokenize`` uses), copied so that a question
#: is tokenized without importing bm25s; tests/test_bm25_scores.py keeps the two equal.
STOPWORDS_EN = ("a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no",
                "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this",
                "to", "was", "will", "with")
_STOPWORDS = frozenset(STOPWORDS_EN)
_THREAD = threading.local()  # a PyStemmer stemmer must not be shared between threads


@functools.lru_cache(maxsize=4096)
def query_tokens(text: str) -> tuple[str, ...]:
    """``tokenize([text])[0]`` for one short text, about 20 times faster: a question is tokenized for every
    part of it and every name in it, and bm25s.tokenize sets up a progress bar and a vocabulary each call."""
    if not hasattr(_THREAD, "stemmer"):
        _THREAD.stemmer = Stemmer.Stemmer(_STEMMER)
    return tuple(_THREAD.stemmer.stemWords([w for w in _WORDS(text.lower()) if w not in _STOPWORDS]))


@dataclass
class SearchIndex:
    """Chunks in one order: ``passages[i]``, ``vectors[i]`` and BM25 document ``i`` are the same chunk.

    A built index holds ``bm25s.BM25`` objects, a loaded one ``SavedBM25`` views of their files: both score
    alike, and only a built one is saved."""

    fingerprint: str
    passages: list[Passage]
    vectors: np.ndarray
    bm25: bm25s.BM25 | SavedBM25
    published_ts: np.ndarray  # seconds since the epoch, NaN when the article has no date
    #: BM25 over single sentences, and the chunk each sentence is in: a question usually paraphrases one
    #: sentence, which a chunk-level score dilutes among the other sentences of the chunk.
    sentence_bm25: bm25s.BM25 | SavedBM25
    sentence_chunk: np.ndarray

    @classmethod
    def build(cls, store: ChunkStore) -> SearchIndex:
        import bm25s

        export = store.export_chunks()
        texts = [f"{header(p)}\n{p.text}" for p in export.passages]
        bm25 = bm25s.BM25()
        if texts:
            bm25.index(tokenize(texts), show_progress=False)
        published = np.array(
            [datetime.fromisoformat(p.published_at.replace("Z", "+00:00")).timestamp() if p.published_at else np.nan
             for p in export.passages], dtype=np.float64)
        sentences, owners = [], []
        for i, passage in enumerate(export.passages):
            for a, b in sentence_spans(passage.text):
                sentences.append(passage.text[a:b])
                owners.append(i)
        sentence_bm25 = bm25s.BM25()
        if sentences:
            sentence_bm25.index(tokenize(sentences), show_progress=False)
        return cls(fingerprint(export.ids), export.passages, export.vectors, bm25, published, sentence_bm25,
                   np.array(owners, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.passages)

    def chunks_holding(self, query: str) -> list[np.ndarray]:
        """For each distinct term of ``query``, the numbers of the chunks whose BM25 entry holds it (a term
        outside the vocabulary: none). They are the term's column of the term-by-chunk score matrix (CSC:
        ``indptr`` delimits each term's chunk numbers in ``indices``), which a built ``bm25s.BM25`` keeps in its
        ``scores`` dict and a loaded ``SavedBM25`` as attributes."""
        if isinstance(self.bm25, SavedBM25):
            pointers, chunks = self.bm25.indptr, self.bm25.indices
        else:
            pointers, chunks = self.bm25.scores["indptr"], self.bm25.scores["indices"]
        vocabulary = self.bm25.vocab_dict
        return [chunks[pointers[vocabulary[term]]:pointers[vocabulary[term] + 1]] if term in vocabulary
                else np.zeros(0, dtype=np.int64) for term in dict.fromkeys(query_tokens(query))]

    def lexical_scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk for ``query`` (zeros when nothing matches)."""
        tokens = query_tokens(query)
        if not self.passages or not tokens:
            return np.zeros(len(self.passages), dtype=np.float32)
        known = [t for t in tokens if t in self.bm25.vocab_dict]
        return self.bm25.get_scores(known) if known else np.zeros(len(self.passages), dtype=np.float32)

    def sentence_scores(self, query: str) -> np.ndarray:
        """Per chunk, the BM25 score of its best-matching sentence for ``query``."""
        best = np.zeros(len(self.passages), dtype=np.float32)
        tokens = [t for t in query_tokens(query) if t in self.sentence_bm25.vocab_dict] if len(self.passages) else []
        if tokens:
            np.maximum.at(best, self.sentence_chunk, self.sentence_bm25.get_scores(tokens))
        return best

    def sentence_holds_all(self, words: list[str]) -> bool:
        """Whether some sentence contains every one of ``words`` (after stemming)."""
        together = np.ones(len(self.sentence_chunk), dtype=bool)
        for word in words:
            tokens = [t for t in query_tokens(word) if t in self.sentence_bm25.vocab_dict]
            if not tokens:
                return False
            together &= self.sentence_bm25.get_scores(tokens) > 0
        return bool(together.any())

    def dense_scores(self, vector: np.ndarray) -> np.ndarray:
        """Cosine similarity of every chunk with a unit-length query vector."""
        return self.vectors @ vector if len(self.passages) else np.zeros(0, dtype=np.float32)

    # -- disk cache -----------------------------------------------------------------------------------

    def save(self, folder: Path) -> None:
        """Write the index to ``folder`` (replacing what is there) through a temporary sibling folder."""
        folder.parent.mkdir(parents=True, exist_ok=True)
        # A private staging folder per writer: two processes refreshing the same index never mix files.
        staging = Path(tempfile.mkdtemp(prefix=folder.name + ".", suffix=".tmp", dir=folder.parent))
        if len(self.passages):
            self.bm25.save(str(staging / "bm25"), show_progress=False)
            self.sentence_bm25.save(str(staging / "sentence_bm25"), show_progress=False)
        np.save(staging / "sentence_chunk.npy", self.sentence_chunk)
        np.save(staging / "vectors.npy", self.vectors)
        np.save(staging / "published_ts.npy", self.published_ts)
        rows = [asdict(p) for p in self.passages]
        (staging / "passages.json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
        (staging / "fingerprint").write_text(self.fingerprint)
        shutil.rmtree(folder, ignore_errors=True)
        try:
            staging.rename(folder)
        except OSError:  # another writer renamed its copy first: theirs is as good as ours
            shutil.rmtree(staging, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> SearchIndex | None:
        """The index saved in ``folder``, or None when there is none or it cannot be read."""
        try:
            stamp = (folder / "fingerprint").read_text()
            rows = json.loads((folder / "passages.json").read_text(encoding="utf-8"))
            passages = [
                Passage(**{**row, "publisher": OutletRef(**row["publisher"]) if row["publisher"] else None,
                           "original": OutletRef(**row["original"]) if row["original"] else None})
                for row in rows
            ]
            def bm25(name: str) -> SavedBM25:
                return SavedBM25.load(folder / name) if passages else SavedBM25.empty()

            index = cls(stamp, passages, np.load(folder / "vectors.npy"), bm25("bm25"),
                        np.load(folder / "published_ts.npy"), bm25("sentence_bm25"),
                        np.load(folder / "sentence_chunk.npy"))
            # Another process may have replaced the folder while we read it: then the parts may not match.
            if (folder / "fingerprint").read_text() != stamp or len(index.vectors) != len(passages):
                return None
            return index
        except (OSError, ValueError, KeyError, TypeError):
            return None  # a missing or damaged cache is rebuilt, never trusted


def load_or_build(store: ChunkStore, folder: Path) -> SearchIndex:
    """The cached index if it matches the collection's chunks, else a fresh one (saved for next time)."""
    current = fingerprint(store.chunk_ids())
    cached = SearchIndex.load(folder)
    if cached is not None and cached.fingerprint == current:
        return cached
    index = SearchIndex.build(store)
    index.save(folder)
    return index
