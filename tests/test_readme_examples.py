"""Every `newsdesk ask` example in the README, run as written against the sample articles (and the seed), must
quote the sentence the README promises beside it.

The promise is an HTML comment under the example's code block (invisible on the rendered page):
``<!-- expect: "QUESTION" quotes "START OF THE SENTENCE" -->``. An example without one fails, so a new
example cannot be added without saying what it answers.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli.app import cli
from tests.conftest import ROOT, SAMPLES, SEED

README = (ROOT / "README.md").read_text(encoding="utf-8")
_ASK = re.compile(r"^(?:\$\s+|\s*)(?:[A-Z_]+=\S+\s+)*(?:\.venv/bin/)?newsdesk\s+(ask\s+.*?)\s*$")
_EXPECT = re.compile(r'<!-- expect: "(?P<question>[^"]+)" quotes "(?P<quote>[^"]+)" -->')


def _examples() -> list[list[str]]:
    """The arguments of every `newsdesk ask …` line of the README's code blocks (after `$ ` or VAR=value)."""
    found = []
    for block in re.findall(r"```\n(.*?)```", README, re.S):
        # A line ending in a backslash continues on the next: join them into one command line.
        for line in re.sub(r"\\\n\s*", " ", block).splitlines():
            if match := _ASK.match(line.split(" #")[0]):
                found.append(shlex.split(match.group(1))[1:])
    return found


EXPECTED = {m["question"]: m["quote"] for m in _EXPECT.finditer(README)}
EXAMPLES = _examples()


def test_the_readme_has_ask_examples_and_each_has_an_expectation() -> None:
    questions = {args[0] for args in EXAMPLES}
    assert len(questions) >= 4, f"found only {questions}"
    assert sorted(questions - set(EXPECTED)) == [], "README ask examples without an <!-- expect: … --> line"
    assert sorted(set(EXPECTED) - questions) == [], "expectations for questions the README does not ask"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    data = tmp_path_factory.mktemp("readme-examples")
    env = {"NEWSDESK_DATA_DIR": str(data), "NEWSDESK_LLM_PROVIDER": "none"}
    sources = [str(SAMPLES)] + ([str(SEED)] if SEED.is_file() else [])
    result = CliRunner().invoke(cli, ["ingest", "--quiet", *sources], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return env


@pytest.mark.parametrize("args", EXAMPLES, ids=[" ".join(a) for a in EXAMPLES])
def test_readme_ask_example_quotes_the_promised_sentence(env: dict[str, str], args: list[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    expected = EXPECTED.get(args[0])
    assert expected, f"no <!-- expect: … --> line for {args[0]!r}"
    if "Lavrov" in args[0] and not SEED.is_file():
        pytest.skip(f"the seed article is not at {SEED} (../shared/seeds/ is absent)")
    monkeypatch.chdir(Path(env["NEWSDESK_DATA_DIR"]))  # no developer .env leaks in
    # The extractive answer is what the README shows; an example written for a model is checked by its quotes.
    args = [a for a in args if a != "--json"] + ["--json", "--answerer", "extractive"]
    result = CliRunner().invoke(cli, ["ask", *args], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert not answer["abstained"], f"{args[0]!r} abstained: {answer['answer']}"
    quotes = [c["quote"] for c in answer["citations"]]
    assert any(q.startswith(expected) or expected in q for q in quotes), f"{args[0]!r} quoted {quotes}"
