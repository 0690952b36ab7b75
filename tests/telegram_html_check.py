"""What Telegram accepts as a message's HTML (``parse_mode=HTML``), checked as strictly as Telegram checks it: the
tags it knows, their attributes, entities, nesting, and the length of the text a reader sees in UTF-16 units.
The Bot API stand-in (``tests.fake_bot_api``) rejects with it what Telegram would reject with a 400.
"""

from __future__ import annotations

import html
import re

MAX_TEXT = 4096
# Telegram's HTML: these tags only; see https://core.telegram.org/bots/api#html-style
ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "code", "pre",
                "blockquote", "tg-emoji"}
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s+[A-Za-z-]+(?:=\"[^\"<>]*\"|='[^'<>]*')?)*)\s*>")
_ATTR = re.compile(r"([A-Za-z-]+)(?:=\"([^\"]*)\"|='([^']*)')?")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9A-Fa-f]{1,6});")


class TelegramHTMLError(ValueError):
    """Telegram would answer 400 "Bad Request: can't parse entities" (or "message is too long")."""


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _unescape(text: str, where: str) -> str:
    for amp in re.finditer("&", text):
        if not _ENTITY.match(text, amp.start()):
            raise TelegramHTMLError(f"unescaped '&' {where} at {amp.start()}: {text[amp.start():amp.start() + 12]!r}")
    if "<" in text or ">" in text:
        raise TelegramHTMLError(f"unescaped '<' or '>' {where}")
    return html.unescape(text)


def _check_attributes(tag: str, attributes: str) -> None:
    found = {m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
             for m in _ATTR.finditer(attributes)}
    allowed = {"a": {"href"}, "span": {"class"}, "code": {"class"}, "blockquote": {"expandable"},
               "tg-emoji": {"emoji-id"}}.get(tag, set())
    if set(found) - allowed:
        raise TelegramHTMLError(f"unsupported attribute(s) {sorted(set(found) - allowed)} on <{tag}>")
    if tag == "a":
        href = _unescape(found.get("href") or "", "in href")
        if not re.match(r"(https?|tg)://\S+$", href):
            raise TelegramHTMLError(f"unsupported URL in <a href>: {href!r}")
    if tag == "span" and found.get("class") != "tg-spoiler":
        raise TelegramHTMLError("a <span> needs class=\"tg-spoiler\"")


def check_telegram_html(text: str, limit: int = MAX_TEXT) -> str:
    """The text Telegram would show for ``text`` in HTML parse mode; raises ``TelegramHTMLError`` where Telegram
    would reject it: a tag it does not support, an unescaped ``<``/``>``/``&``, unbalanced or wrongly nested tags,
    an empty message, or more than ``limit`` UTF-16 units after entity parsing."""
    shown: list[str] = []
    stack: list[str] = []
    position = 0
    for match in re.finditer(r"<[^<]*?>|<", text):
        shown.append(_unescape(text[position : match.start()], f"at {position}"))
        position = match.end()
        tag = _TAG.fullmatch(match.group(0))
        if tag is None:
            raise TelegramHTMLError(f"unescaped '<' or malformed tag at {match.start()}: {match.group(0)[:20]!r}")
        closing, name, attributes = tag.group(1), tag.group(2).lower(), tag.group(3)
        if name not in ALLOWED_TAGS:
            raise TelegramHTMLError(f"unsupported start tag \"{name}\" at {match.start()}")
        if closing:
            if attributes.strip() or not stack or stack[-1] != name:
                raise TelegramHTMLError(f"unexpected end tag </{name}> at {match.start()} (open: {stack})")
            stack.pop()
            continue
        _check_attributes(name, attributes)
        if name == "a" and "a" in stack:
            raise TelegramHTMLError("a link inside a link")
        if stack and stack[-1] in ("code", "pre") and not (stack[-1] == "pre" and name == "code"):
            raise TelegramHTMLError(f"<{name}> inside <{stack[-1]}>")
        stack.append(name)
    shown.append(_unescape(text[position:], f"at {position}"))
    if stack:
        raise TelegramHTMLError(f"unclosed tags {stack}")
    plain = "".join(shown)
    if not plain.strip():
        raise TelegramHTMLError("message text is empty")
    if utf16_units(plain) > limit:
        raise TelegramHTMLError(f"message is too long: {utf16_units(plain)} UTF-16 units")
    return plain
