"""The unit of a research brief: words in an article and who they are attributed to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SpeechKind = Literal["direct", "indirect"]


@dataclass(frozen=True)
class Quote:
    """A quotation or piece of reported speech in one article's body; ``text == body[start:end]``.

    ``speaker`` is the name or description the article gives ("Sergey Lavrov", "a senior official"), None when it
    names nobody; ``anonymous`` marks unnamed sourcing. ``via`` is the second-hand chain the text itself states,
    nearest first ("The Atlantic" for "… told The Atlantic" or "according to a report in The Atlantic"). The outlet
    that published the article and the sites that republished it come from provenance, not from the text.
    """

    text: str
    start: int
    end: int
    kind: SpeechKind
    speaker: str | None
    speaker_role: str | None
    anonymous: bool
    via: tuple[str, ...]


def quote_record(
    quote: Quote,
    *,
    article_id: str,
    reported_by: str | None,
    republished_by: tuple[str, ...],
    published_at: str | None,
) -> dict[str, object]:
    """The JSON object of one quote, the same in `newsdesk quotes --json` and in the research brief."""
    return {
        "speaker": quote.speaker,
        "speaker_role": quote.speaker_role,
        "anonymous": quote.anonymous,
        "kind": quote.kind,
        "text": quote.text,
        "reported_by": reported_by,
        "via": list(quote.via),
        "republished_by": list(republished_by),
        "published_at": published_at,
        "article_id": article_id,
        "start": quote.start,
        "end": quote.end,
    }
