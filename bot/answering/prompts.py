"""Prompt files (``prompts/*.md``) filled with a checked set of ``string.Template`` variables.

A prompt whose placeholders and variables differ fails here, at load time, naming the file: an edited prompt
that lost ``$passages`` would otherwise send the model a question with no evidence.
"""

from __future__ import annotations

from pathlib import Path
from string import Template

from bot.errors import MissingPromptVariable

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"


def load(name: str, *, folder: Path = PROMPTS_DIR, **variables: str) -> str:
    """The prompt ``folder/name.md`` with ``variables`` substituted.

    Raises:
        MissingPromptVariable: a placeholder has no variable, or a variable has no placeholder.
        FileNotFoundError: there is no such prompt file.
    """
    path = folder / f"{name}.md"
    template = Template(path.read_text(encoding="utf-8"))
    if not template.is_valid():
        raise MissingPromptVariable(str(path), ["(a stray $: write $$ for a dollar sign)"], [])
    wanted = set(template.get_identifiers())
    missing, unexpected = sorted(wanted - variables.keys()), sorted(variables.keys() - wanted)
    if missing or unexpected:
        raise MissingPromptVariable(str(path), missing, unexpected)
    # safe_substitute: a "$" inside an article or question is text, never a placeholder (substitution is one pass).
    return template.safe_substitute(variables)
