"""How independent the sources of a brief are: outlets × kinds, copies counted once, and a plain warning.

Five sites carrying one RT story are one source, RT, "also carried by" the four others: the republishers are
listed on RT's row, not counted. A warning says so when every outlet is of one kind (e.g. state-controlled) or
has one owner, or when there is only one outlet.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from bot.answering.labels import COUNT_NOUNS, UNKNOWN_KIND
from bot.research.gather import Gathered


@dataclass(frozen=True, slots=True)
class OutletRow:
    """One original outlet: its classification (with who says so) and the sites that only republished it."""

    outlet: str
    domain: str | None
    kind: str
    country: str | None
    owner: str | None
    #: Who classified the outlet and as of when, e.g. "newsdesk registry (as of 2025-01)"; None: nobody did.
    source: str | None
    stories: int
    also_carried_by: tuple[str, ...]

    @property
    def line(self) -> str:
        """``RT (original) — also carried by USSANews.com``."""
        carried = f" — also carried by {', '.join(self.also_carried_by)}" if self.also_carried_by else ""
        return f"{self.outlet} (original){carried}"


@dataclass(frozen=True, slots=True)
class CorroborationTable:
    rows: tuple[OutletRow, ...]
    #: (kind, number of outlets), most common first.
    by_kind: tuple[tuple[str, int], ...]
    summary: str
    warning: str | None


def _noun(kind: str, n: int) -> str:
    noun = COUNT_NOUNS.get(kind, f"{kind} outlet")
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _warning(rows: tuple[OutletRow, ...]) -> str | None:
    if not rows:
        return None
    copied = sorted({site for row in rows for site in row.also_carried_by})
    copies = f"; {', '.join(copied)} only republished it" if copied else ""
    kinds = {row.kind for row in rows}
    owners = {row.owner for row in rows}
    names = ", ".join(row.outlet for row in rows)
    if len(rows) == 1:
        noun = "outlet" if rows[0].kind == UNKNOWN_KIND else COUNT_NOUNS.get(rows[0].kind, f"{rows[0].kind} outlet")
        return f"Every source is one {noun}, {names}{copies}: nothing here is independently confirmed."
    if len(kinds) == 1 and UNKNOWN_KIND not in kinds:
        noun = COUNT_NOUNS.get(next(iter(kinds)), next(iter(kinds)))
        return f"Every source is a {noun} ({names}){copies}: no other kind of outlet confirms this."
    if len(owners) == 1 and None not in owners:
        return f"Every source has one owner, {next(iter(owners))} ({names}): they are not independent."
    return None


def corroboration_table(gathered: Gathered) -> CorroborationTable:
    """One row per original outlet of the gathered stories, in the order they were found."""
    rows = []
    for name, ids in gathered.by_outlet.items():
        stories = [s for s in gathered.stories if s.article_id in ids]
        label, owner = stories[0].outlet, next((s.owner for s in stories if s.owner), None)
        carried = tuple(dict.fromkeys(site.name for s in stories for site in s.republished_by))
        rows.append(OutletRow(outlet=name, domain=label.domain, kind=label.kind, country=label.country, owner=owner,
                              source=label.source, stories=len(stories), also_carried_by=carried))
    table = tuple(rows)
    by_kind = tuple(Counter(row.kind for row in table).most_common())
    if table:
        kinds = ", ".join(_noun(kind, n) for kind, n in by_kind)
        noun = "outlet" if len(table) == 1 else "independent outlets"
        summary = f"{len(table)} {noun}: {kinds}."
    else:
        summary = "No sources."
    return CorroborationTable(rows=table, by_kind=by_kind, summary=summary, warning=_warning(table))
