"""Answer accuracy for ``newsdesk eval multihop --answers``: the upstream scoring rule as pure functions, the
per-query outcome and its aggregation, and the wiring that has the configured model answer in the paper's style.

Scoring follows ``shared/notes/eval-multihop.md`` §4 (upstream ``qa_evaluate.py``, described in prose; no code
copied): keep only the quoted part of ``The answer to the question is "…"`` when the output says ``The answer``;
a prediction is correct when its lowercased, whitespace-split word set shares a word with the gold answer's.
Punctuation is not stripped, so ``yes.`` is not ``yes``: the rule is upstream's, lenient and strict at once.

The answers come from the one checked path (``Newsdesk.ask(..., answerer="llm")``, i.e. ``GenerativeAnswerer``)
with the ``short_answer`` prompt; this module writes no answer of its own. What is scored per query:
- the checked answer, without its ``[n]`` markers and ``[unverified: …]`` flags, when the model's answer passed;
- the model's own reply when the checks rejected it for citing nothing ("Insufficient Information" cites nothing);
- "Insufficient Information" when retrieval abstained and the model was, by design, not called;
- an empty prediction (wrong) when the model failed (down, timeout, empty or cut-off reply).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bot.evaluation.metrics import Stat, ratio

if TYPE_CHECKING:
    from bot.answering.generative import ChatClient, Reply
    from bot.service import Newsdesk
    from bot.types import Answer

ANSWER_PROMPT = "short_answer"
ABSTAINED = "Insufficient Information"
_UPSTREAM_ANSWER = re.compile(r'The answer to the question is "(.*?)"', re.DOTALL)
_MARKS = re.compile(r"\s*\[(?:\d{1,4}(?:\s*[,;]\s*\d{1,4})*|unverified:[^\]]*)\]")


def upstream_prediction(output: str) -> str:
    """The part of a model's ``output`` upstream scores: the quoted answer when it says ``The answer …``."""
    if "The answer" in output and (match := _UPSTREAM_ANSWER.search(output)):
        return match.group(1)
    return output


def upstream_correct(output: str, gold: str) -> bool:
    """Upstream's rule: the lowercased whitespace-split words of prediction and gold share at least one."""
    return bool(set(upstream_prediction(output).lower().split()) & set(gold.lower().split()))


def without_marks(text: str) -> str:
    """A checked answer as plain text: citation markers and ``[unverified: …]`` flags removed."""
    return _MARKS.sub("", text).strip()


@dataclass(frozen=True, slots=True)
class AnswerOutcome:
    """One query's scored answer and the sentence checks of the model's text (zero when it was not shown)."""

    question_type: str
    prediction: str
    correct: bool
    sentences: int
    cited: int
    unsupported: int
    source: str  # "checked", "uncited reply", "abstained", "model failed"


class RecordingClient:
    """The configured ``ChatClient`` with its last reply kept, so a reply the checks reject can still be scored."""

    def __init__(self, inner: ChatClient) -> None:
        self.inner, self.model = inner, inner.model
        self.last: Reply | None = None

    def complete(self, system: str, prompt: str, *, on_text: Callable[[str], None] | None = None) -> Reply:
        self.last = None
        self.last = self.inner.complete(system, prompt, on_text=on_text)
        return self.last


def use_answer_style(desk: Newsdesk) -> RecordingClient:
    """Make ``desk.ask(..., answerer="llm")`` use the ``short_answer`` prompt; returns the recording client.

    Raises:
        LLMUnavailable: no model is configured.
    """
    recorder = RecordingClient(desk.generator.client)
    desk.generator = replace(desk.generator, client=recorder, prompt_name=ANSWER_PROMPT)  # the cached property
    return recorder


def score_answer(question_type: str, gold: str, answer: Answer, recorder: RecordingClient) -> AnswerOutcome:
    """Score what ``desk.ask`` returned for one query (see the module docstring for which text is scored)."""
    if answer.answerer.startswith("llm:"):
        prediction, source = without_marks(answer.answer), "checked"
    elif answer.abstained:
        prediction, source = ABSTAINED, "abstained"
    elif recorder.last is not None and recorder.last.text.strip():
        prediction, source = recorder.last.text.strip(), "uncited reply"
    else:
        prediction, source = "", "model failed"
    checks = answer.checks if source == "checked" else ()
    return AnswerOutcome(question_type, prediction, upstream_correct(prediction, gold), len(checks),
                         sum(1 for c in checks if c.citations), sum(1 for c in checks if c.unsupported), source)


ANSWER_METRICS = ("answer_accuracy", "cited_sentences", "unsupported_sentences")
ANSWER_LABELS = {"answer_accuracy": "accuracy (upstream rule)", "cited_sentences": "sentences with a valid citation",
                 "unsupported_sentences": "sentences marked unsupported"}


def summarise(outcomes: Sequence[AnswerOutcome]) -> dict[str, Stat]:
    """Accuracy over queries; the citation shares pooled over the sentences of the checked answers."""
    sentences = sum(o.sentences for o in outcomes)
    correct, cited, unsupported = (sum(o.correct for o in outcomes), sum(o.cited for o in outcomes),
                                   sum(o.unsupported for o in outcomes))
    return {
        "answer_accuracy": Stat(ratio(correct, len(outcomes)), len(outcomes)),
        "cited_sentences": Stat(ratio(cited, sentences), sentences),
        "unsupported_sentences": Stat(ratio(unsupported, sentences), sentences),
    }
