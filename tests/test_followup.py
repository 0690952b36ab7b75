"""The follow-up rewriter: the documented rule, one case per clause."""

from __future__ import annotations

import pytest

from bot.answering.followup import KeywordRewriter, QuestionRewriter, is_follow_up

LAVROV = "What did Lavrov say about Kiev?"
MAYOR = "What did the mayor say about the cost of the flood barrier?"
KETTERING = "What did Dolores Kettering say about the ferry crews' working hours?"


@pytest.mark.parametrize(("history", "question", "standalone"), [
    pytest.param([], "and what did Putin say?", "and what did Putin say?", id="no-history"),
    pytest.param([LAVROV], "and what did Putin say?", "What did Putin say about Kiev?", id="issue-example"),
    pytest.param([MAYOR], "And, what did the traders say?",
                 "What did the traders say about the cost of the flood barrier?", id="speaker-swap"),
    pytest.param([KETTERING], "Why?", "Why (context: Dolores Kettering ferry crews working hours)?", id="bare-why"),
    pytest.param([MAYOR], "What did she say about it?",
                 "What did she say about it (context: mayor cost flood barrier)?", id="pronouns"),
    pytest.param([LAVROV], "what about Putin?", "Putin (context: Lavrov Kiev)?", id="what-about"),
    pytest.param([LAVROV, MAYOR], "How large were the restored  sea-grass meadows?",
                 "How large were the restored sea-grass meadows?", id="standalone"),
    pytest.param([KETTERING], "So-called experts say what about tolls, fees and fares?",
                 "So-called experts say what about tolls, fees and fares?", id="so-is-not-a-connective-here"),
])
def test_rewrites(history: list[str], question: str, standalone: str) -> None:
    assert KeywordRewriter().rewrite(question, history) == standalone


def test_chains_keep_their_topic() -> None:
    rewriter, history = KeywordRewriter(), [KETTERING]
    history.append(rewriter.rewrite("Why?", history))
    assert rewriter.rewrite("and what did the company say?", history) == (
        "What did the company say (context: Dolores Kettering ferry crews working hours)?"
    )


def test_follow_up_detection() -> None:
    assert is_follow_up("and the traders?") and is_follow_up("When?") and is_follow_up("What did he mean by that?")
    assert not is_follow_up(MAYOR) and not is_follow_up("Andrew Smith criticised the flood barrier levy plan?")


def test_the_rewriter_satisfies_the_protocol() -> None:
    rewriter: QuestionRewriter = KeywordRewriter()
    assert rewriter.rewrite("hello there", []) == "hello there"
