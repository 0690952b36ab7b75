"""Telegram load run: 20 chats ask 50 questions each, against the fake Bot API on 127.0.0.1, by long polling.

Each chat waits for the answer before asking again, as a person would. Latency is measured from the moment an
update is queued for getUpdates to the moment the first message of its reply reaches the fake API. A reply
that never arrives is lost; the target is 0 lost replies. The bot runs as in production (the real service and
embedder, ``build_application``, polling), and the run is done twice: once with PTB's ``AIORateLimiter`` at
Telegram's flood limit (30 messages/s overall, as in production), once without that limit, which shows the
bot's own capacity. A third run floods the bot from one user and measures another chat's latency meanwhile.

    .venv/bin/python bench/telegram_load.py [--chats 20] [--questions 50] [--flood 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from telegram.ext import AIORateLimiter  # noqa: E402

from bench.report import write_section  # noqa: E402
from bot.service import Newsdesk  # noqa: E402
from bot.settings import BotSettings  # noqa: E402
from bot.telegram.app import RETRIES_AFTER_429, build_application  # noqa: E402
from tests.fake_bot_api import TOKEN, FakeBotApiServer, FakeTelegram  # noqa: E402
from tests.telegram_running import running  # noqa: E402  # the tests' way of running the bot, without signals

QUESTIONS = (
    "What did Dolores Kettering say about the ferry crews' working hours?",
    "What did the mayor say about the cost of the flood barrier?",
    "and what did the traders say?",
    "How much water is each resident asked to use per day?",
    "What did Hana Moretti say about the battery plant's water use?",
    "How large were the restored sea-grass meadows by September?",
    "Who won the football match on Sunday?",
    "Why?",
)
REPLY_TIMEOUT = 60.0


class TimedTelegram(FakeTelegram):
    """Notes when the first reply to each user message arrives."""

    def __init__(self) -> None:
        super().__init__()
        self.replied: dict[int, float] = {}
        self.events: dict[int, asyncio.Event] = {}

    def _message(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        message = super()._message(method, params)
        replied_to = (params.get("reply_parameters") or {}).get("message_id")
        if replied_to is not None and replied_to not in self.replied:
            self.replied[replied_to] = time.monotonic()
            self.events.setdefault(replied_to, asyncio.Event()).set()
        return message


async def _chat(api: FakeBotApiServer, fake: TimedTelegram, chat_id: int, questions: int) -> list[float | None]:
    latencies: list[float | None] = []
    for i in range(questions):
        update = fake.message_update(chat_id, QUESTIONS[(chat_id + i) % len(QUESTIONS)])
        message_id = update["message"]["message_id"]
        event = fake.events.setdefault(message_id, asyncio.Event())
        asked = time.monotonic()
        await api.push(update)
        try:
            await asyncio.wait_for(event.wait(), REPLY_TIMEOUT)
            latencies.append(fake.replied[message_id] - asked)
        except TimeoutError:
            latencies.append(None)
    return latencies


async def _run(desk: Newsdesk, chats: int, questions: int, *, flood_limit: bool) -> dict[str, Any]:
    fake = TimedTelegram()
    async with FakeBotApiServer(fake) as api:
        settings = BotSettings(_env_file=None, data_dir=desk.settings.data_dir, telegram_token=TOKEN,
                               telegram_questions_per_minute=0,
                               telegram_allowed_users=tuple(str(1000 + c) for c in range(chats)))
        limiter = None if flood_limit else AIORateLimiter(overall_max_rate=0, group_max_rate=0,
                                                          max_retries=RETRIES_AFTER_429)
        async with running(build_application(settings, desk, base_url=api.base_url, rate_limiter=limiter)):
            started = time.monotonic()
            results = await asyncio.gather(*(_chat(api, fake, 1000 + c, questions) for c in range(chats)))
            wall = time.monotonic() - started
    latencies = sorted(x for chat in results for x in chat if x is not None)
    return {
        "asked": chats * questions, "lost": sum(x is None for chat in results for x in chat),
        "rejected": len(fake.rejected), "wall": wall, "p50": statistics.median(latencies),
        "p95": latencies[int(0.95 * (len(latencies) - 1))], "max": latencies[-1],
        "messages": sum(1 for c in fake.calls if c.method == "sendMessage"),
    }


FLOODER, BYSTANDER = 2000, 2001
BYSTANDER_QUESTIONS = 10


async def _flood(desk: Newsdesk, messages: int) -> dict[str, Any]:
    """One user sends ``messages`` questions at once (the default limit of questions a minute, Telegram's flood
    limit on replies) while another chat asks ``BYSTANDER_QUESTIONS`` questions, each after the last is answered."""
    fake = TimedTelegram()
    async with FakeBotApiServer(fake) as api:
        settings = BotSettings(_env_file=None, data_dir=desk.settings.data_dir, telegram_token=TOKEN,
                               telegram_allowed_users=(str(FLOODER), str(BYSTANDER)))
        async with running(build_application(settings, desk, base_url=api.base_url)):
            for i in range(messages):
                await api.push(fake.message_update(FLOODER, QUESTIONS[i % len(QUESTIONS)]))
            await api.wait_for(lambda f: "sendChatAction" in f.methods(), timeout=REPLY_TIMEOUT)  # the flood is read
            latencies = await _chat(api, fake, BYSTANDER, BYSTANDER_QUESTIONS)
    answered = sorted(x for x in latencies if x is not None)
    return {"flood": messages, "to_flooder": len(fake.sent(FLOODER)), "asked": len(latencies),
            "lost": len(latencies) - len(answered), "p50": statistics.median(answered) if answered else None,
            "max": answered[-1] if answered else None, "per_minute": settings.telegram_questions_per_minute}


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=20)
    parser.add_argument("--questions", type=int, default=50, help="questions per chat")
    parser.add_argument("--flood", type=int, default=1000, help="messages one user floods the bot with")
    args = parser.parse_args()
    load = os.getloadavg()[0]  # other work on the machine shows up in the latencies
    with tempfile.TemporaryDirectory() as tmp:
        desk = Newsdesk(BotSettings(_env_file=None, data_dir=Path(tmp) / "data"))
        desk.ingest([ROOT / "samples"])
        rows = []
        for flood_limit in (True, False):
            result = asyncio.run(_run(desk, args.chats, args.questions, flood_limit=flood_limit))
            mode = "Telegram's flood limit (30 msg/s), as in production" if flood_limit else "no flood limit"
            rows.append(f"| {mode} | {result['asked']} | {result['lost']} | {result['rejected']} | "
                        f"{result['messages']} | {result['p50'] * 1000:.0f} | **{result['p95'] * 1000:.0f}** | "
                        f"{result['max'] * 1000:.0f} | {result['asked'] / result['wall']:.1f} |")
            print(rows[-1], flush=True)
        flood = asyncio.run(_flood(desk, args.flood))
    flood_row = (f"| {flood['flood']} | {flood['per_minute']} | {flood['to_flooder']} | {flood['asked']} | "
                 f"{flood['lost']} | {_ms(flood['p50'])} | **{_ms(flood['max'])}** |")
    print(flood_row, flush=True)
    body = (
        f"{args.chats} chats ask {args.questions} questions each (the sample articles, {len(QUESTIONS)} questions "
        "in turn, follow-ups and an unanswerable one included), by long polling against the fake Bot API "
        "(`tests/fake_bot_api.py`) on 127.0.0.1; each chat waits for its answer before asking again. Latency runs "
        "from queueing the update to the first reply message reaching the API. "
        f"Load average when the run started: {load:.1f}.\n\n"
        "| rate limiter | questions | lost replies | rejected messages | messages sent | p50 ms | p95 ms | max ms "
        "| questions/s |\n|---|---|---|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n\n"
        "Every answer costs two rate-limited requests (\"typing…\" and the reply), so Telegram's 30 messages/s cap "
        "allows about 15 answers/s: with 20 chats waiting, that queue, not the bot, sets the latency in production."
        "\n\n### A flood from one user\n\n"
        f"One user sends {flood['flood']} questions at once while another chat asks {flood['asked']} questions, "
        "one after the other, under Telegram's flood limit and the default per-user limit. The flooding user gets "
        "the answers the limit allows and one \"please wait\"; the rest of the flood is dropped without a reply "
        "(issue #10: with one \"please wait\" per message, 1,000 messages delayed the other chat's reply by "
        "32.7 s).\n\n"
        "| flood messages | questions/min allowed | messages sent to the flooder | other chat's questions | lost "
        "| other chat p50 ms | other chat max ms |\n|---|---|---|---|---|---|---|\n" + flood_row
    )
    command = "make bench-telegram" if (args.chats, args.questions, args.flood) == (20, 50, 1000) else (
        f".venv/bin/python bench/telegram_load.py --chats {args.chats} --questions {args.questions} "
        f"--flood {args.flood}")
    write_section("telegram-load", f"Telegram bot under load ({args.chats} chats × {args.questions} questions)",
                  command, body)


if __name__ == "__main__":
    main()
