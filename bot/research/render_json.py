"""The research brief as JSON (``newsdesk research --format json``), for other tools.

The shape is documented in the README ("Research briefs") and fixed by docs/schemas/research-brief.schema.json;
a test validates every brief it builds against that schema. ``quotes`` are the shared quote objects
(``bot.research.quote_types.quote_record``), the same as ``newsdesk quotes --json`` prints.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from bot.research.brief import Brief

SCHEMA_VERSION = 1


def brief_object(brief: Brief) -> dict[str, Any]:
    """The brief as plain JSON values."""
    answer = brief.answer
    table = brief.corroboration
    return {
        "schema_version": SCHEMA_VERSION,
        "question": brief.question,
        "filters": brief.filters,
        "answer": {
            "text": answer.answer,
            "abstained": answer.abstained,
            "answerer": answer.answerer,
            "notice": answer.notice,
            "citations": [dataclasses.asdict(c) for c in answer.citations],
        },
        "sources": [
            {
                "outlet": dataclasses.asdict(section.outlet),
                "republished_by": [dataclasses.asdict(site) for site in section.republished_by],
                "excerpts": [dataclasses.asdict(e) for e in section.excerpts],
            }
            for section in brief.sources
        ],
        "quotes": [quote.record() for quote in brief.quotes],
        "timeline": [dataclasses.asdict(entry) for entry in brief.timeline],
        "corroboration": {
            "summary": table.summary,
            "warning": table.warning,
            "by_kind": {kind: n for kind, n in table.by_kind},
            "outlets": [dataclasses.asdict(row) for row in table.rows],
        },
        "passages": brief.passages,
        "stories": brief.stories,
    }


def render_json(brief: Brief) -> str:
    return json.dumps(brief_object(brief), ensure_ascii=False, indent=2) + "\n"
