"""Questions about a person by role ("what did the union leader say", "the head of the UCU"): which quoted
sentences have a speaker who fits the role.

A small rule-based matcher, enough to prefer the right quote among retrieved sentences: the question's role word
(with its usual equivalents: a union's "head" is its "general secretary", "leader" or "president") and the words
that qualify it ("union", "UCU") must appear in a sentence that quotes or reports speech. Speaker attribution
proper (who said which quote, across sentences) belongs to a later module; this one only looks inside a
sentence (which, for '"…," she said.', the answerer has already joined to the sentence naming her).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.answering.text import content_terms

# Equivalent role words (Snowball stems), one family per line: any member names the role.
_ROLE_FAMILIES = tuple(
    frozenset(content_terms(words))
    for words in (
        "head leader chief boss president chair chairman chairwoman chairperson secretary general director "
        "executive ceo",
        "spokesperson spokesman spokeswoman spokespeople representative",
        "mayor",
        "minister premier",
        "governor",
        "treasurer",
        "engineer",
        "councillor councilor councilman councilwoman",
        "official officials officer",
        "owner",
        "founder",
        "scientist researcher researchers professor",
        "lawyer attorney",
        "police officer detective",
    )
)
ROLE_STEMS = frozenset().union(*_ROLE_FAMILIES)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_SPEECH = re.compile(
    r"[“”\"]|\b(?:said|says|told|added|warned|explained|argued|insisted|claimed|stated|wrote|according to)\b", re.I
)
# Words that qualify a role but are no qualifier: "the new leader", "its former head".
_NOT_QUALIFIERS = frozenset(content_terms("new former current acting deputy senior top local national its their"))


@dataclass(frozen=True, slots=True)
class Role:
    """A role the question asks about: its equivalent stems and the stems qualifying it ("union", "ucu")."""

    stems: frozenset[str]
    qualifiers: frozenset[str]


def role_in(question: str) -> Role | None:
    """The first role word in ``question`` with the content words just before it and after "of/at/for (the)"."""
    words = _WORD.findall(question)
    for i, word in enumerate(words):
        stems = content_terms(word)
        if not stems:
            continue
        family = next((f for f in _ROLE_FAMILIES if stems[0] in f), None)
        if family is None:
            continue
        near = words[max(0, i - 2) : i]
        if i + 1 < len(words) and words[i + 1].lower() in ("of", "at", "for"):
            after = words[i + 2 : i + 5]
            near += after[1:] if after and after[0].lower() == "the" else after
        qualifiers = frozenset(content_terms(" ".join(near))) - _NOT_QUALIFIERS - ROLE_STEMS
        return Role(family, qualifiers)
    return None


def speaker_matches(role: Role, sentence: str, stems: frozenset[str], context: frozenset[str] = frozenset()) -> bool:
    """Whether ``sentence`` (whose content stems are ``stems``) reports speech and names the role, with a
    qualifier of it (if the question has one) in the sentence or in ``context``, the stems of its passage and
    title ("the union" may be named a line before)."""
    if not role.stems & stems or not _SPEECH.search(sentence):
        return False
    return not role.qualifiers or bool(role.qualifiers & (stems | context))
