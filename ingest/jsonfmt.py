"""JSON and JSON Lines article collections.

Accepted shapes: a list of article objects, an object with an ``articles`` list, or one object per line
(``.jsonl``). Fields: ``title`` and ``body`` are required (``text`` or ``content`` are read as ``body``);
optional ``url``, ``published_at`` (or ``date``/``published``), ``author``, ``source`` (the outlet that
published it, e.g. ``"The Verge"``) and ``publisher`` (the site it was taken from, when it differs).
The MultiHop-RAG corpus is such a list (``--format multihop`` checks its fields strictly).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

from ingest.articles import ArticleParseError, build_article, clean_text
from ingest.domains import host_of, outlet_name
from ingest.provenance import STRENGTH, Claim
from ingest.types import Article, Evidence, OutletRef

logger = logging.getLogger(__name__)

MULTIHOP_FIELDS = {"title", "author", "source", "published_at", "url", "body"}


def _records(text: str, source: str, *, lines: bool) -> list[Any]:
    if lines:
        records = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as error:  # this line fails alone: see parse_json
                    records.append(ArticleParseError(f"{source}#line {number}", f"not valid JSON ({error.msg})"))
                except ValueError as error:
                    records.append(ArticleParseError(f"{source}#line {number}", f"not valid JSON ({error})"))
                except RecursionError:
                    records.append(ArticleParseError(f"{source}#line {number}", "not valid JSON (nested too deeply)"))
        return records
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ArticleParseError(source, f"not valid JSON ({error.msg} at line {error.lineno})") from error
    except ValueError as error:  # an integer of more than 4,300 digits (Python's int_max_str_digits)
        raise ArticleParseError(source, f"not valid JSON ({error})") from error
    except RecursionError as error:
        raise ArticleParseError(source, "not valid JSON (nested too deeply)") from error
    if isinstance(data, dict) and isinstance(data.get("articles"), list):
        return data["articles"]
    if isinstance(data, list):
        return data
    return [data] if isinstance(data, dict) else []


def _declared(record: dict[str, Any], url: str | None) -> list[Claim]:
    """The record's own ``source`` (the outlet) and ``publisher`` (the host) fields, as claims."""
    host = host_of(url) if url else None
    claims = []
    for key, role in (("source", "original"), ("publisher", "publisher")):
        if name := outlet_name(record.get(key)):
            named = OutletRef(name=name, domain=host)
            claims.append(Claim(Evidence(f"declared-{key}", name), named, STRENGTH["declared"], role))
    if len(claims) == 1 and claims[0].role == "original":  # a source without a publisher is its own host
        claims.append(Claim(claims[0].evidence, claims[0].outlet, STRENGTH["declared"], "publisher"))
    return claims


def _url(record: dict[str, Any], where: str) -> str | None:
    url = record.get("url")
    url = url.strip() if isinstance(url, str) else ""
    if not url:
        return None
    if not url.lower().startswith(("http://", "https://")) or host_of(url) is None:
        raise ArticleParseError(where, f"url {url[:100]!r} is not an http(s) URL with a valid host name")
    return url


def _article(record: Any, where: str, *, multihop: bool) -> Article:
    if isinstance(record, ArticleParseError):
        raise record
    if not isinstance(record, dict):
        raise ArticleParseError(where, f"expected an object, got {type(record).__name__}")
    # Lone surrogates (JSON's "\ud800") and control characters are cleaned in every field at once, outlet names
    # included, so nothing downstream meets a string that cannot be encoded or shown.
    record = {key: clean_text(value) if isinstance(value, str) else value for key, value in record.items()}
    if multihop and (missing := MULTIHOP_FIELDS - set(record)):
        raise ArticleParseError(where, f"not a MultiHop-RAG article, missing {sorted(missing)}")
    body = record.get("body") or record.get("text") or record.get("content")
    if not isinstance(body, str) or not body.strip():
        raise ArticleParseError(where, "no body (expected a 'body', 'text' or 'content' string)")
    title = record.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ArticleParseError(where, "no title")
    url = _url(record, where)
    return build_article(
        title=title,
        paragraphs=body.split("\n"),
        # Keyed by title, not position, so a re-ordered file still updates the same articles.
        source=f"{where.split('#')[0]}#{title.strip()[:100]}",
        url=url,
        published_at=record.get("published_at") or record.get("date") or record.get("published"),
        author=record.get("author") if isinstance(record.get("author"), str) else None,
        claims=_declared(record, url),
    )


def parse_json(
    text: str, source: str, *, lines: bool = False, multihop: bool = False
) -> Iterator[Article | ArticleParseError]:
    """Each record as an ``Article``, or the ``ArticleParseError`` that record raised (one bad record never
    stops the others)."""
    records = _records(text, source, lines=lines)
    if not records:
        raise ArticleParseError(source, "no article objects found")
    for index, record in enumerate(records):
        title = record.get("title") if isinstance(record, dict) else None
        shown = title[:60].encode("utf-8", "backslashreplace").decode() if isinstance(title, str) else None
        where = f"{source}#{index}" + (f" ({shown})" if shown else "")
        try:
            yield _article(record, where, multihop=multihop)
        except ArticleParseError as error:
            yield error
        except Exception as error:  # a bug met by one odd record must not cost the records after it
            logger.debug("unexpected error in %s", where, exc_info=True)
            yield ArticleParseError(where, f"unexpected {type(error).__name__}: {str(error)[:200]}")
