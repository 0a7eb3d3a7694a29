#!/usr/bin/env python3
"""Fault drill: the real bot against the stand-in Bot API, under long outages and bad links.

    python scripts/fault_drill.py                  # every scenario (about four minutes)
    python scripts/fault_drill.py outage-30 slow-7 # some of them
    python scripts/fault_drill.py --list

Each scenario starts a fresh bot (build_application, the production settings except for the
Telegram URL and a throw-away question log) against a fresh stand-in
(tests/support/telegram_stub.py), asks QUESTIONS questions from USERS users, injects its
fault, waits for the bot to settle and prints, per scenario:

    answered    questions whose answer reached the chat (at least once)
    lost        questions whose answer never arrived
    duplicates  answer messages beyond one per question
    apologies   "a reply could not be sent" messages (one per chat is the promise)
    p50 / p95   seconds from a question reaching Telegram to its answer reaching the chat

The long versions of tests/e2e/test_reliability.py; the figures are in docs/reliability.md.
It loads the index in INDEX_DIR (or the project's) as it is, never building or changing it.
Exit code 1 when a scenario breaks its promise (lost, doubled or unapologised answers).
"""
from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "support"))

from running_bot import RunningBot  # noqa: E402
from telegram_stub import TelegramStub  # noqa: E402

from bot.answers import texts  # noqa: E402
from bot.settings import Settings  # noqa: E402

QUESTIONS = ["村里有人在河堤上盖棚子，归谁管？", "防汛抗旱镇里要干什么？", "收割机安全检查还归镇里管吗？",
             "村民想申请低保，找谁办？", "秸秆焚烧谁来管", "拖拉机年检找谁", "高龄津贴谁来发", "三务公开怎么搞"]
APOLOGY = texts.UNDELIVERED_APOLOGY
QUIET = 12.0  # seconds without a sendMessage that count as "the bot is done" (retries back off 8 s at most)


@dataclass
class Scenario:
    name: str
    what: str
    # fault(stub) is called once the bot runs; it returns when the fault has been set up
    # (an outage is armed to begin as the bot fetches the first questions).
    fault: Callable[[TelegramStub], None]
    promise: str  # "exactly-once": nothing lost or doubled; "lossy": loses replies by design, never doubles
    settle: float = 3.0  # extra seconds watched for late duplicates once everything is in


def _outage(seconds: float) -> Callable[[TelegramStub], None]:
    return lambda stub: stub.outage(seconds, after_updates=True)


def _storm(stub: TelegramStub) -> None:
    for status, retry_after in ((502, 0), (503, 0), (500, 0), (429, 3)):
        stub.fail_next("sendMessage", status, retry_after=retry_after, times=10**6, probability=0.15)


SCENARIOS = [
    Scenario("outage-30", "30-s outage (connections refused), as the first questions are fetched", _outage(30),
             "exactly-once"),
    Scenario("outage-60", "60-s outage, as the first questions are fetched", _outage(60), "exactly-once"),
    Scenario("drop-after-30%", "30 % of sendMessage: processed, connection closed without an answer",
             lambda stub: stub.drop_after_processing("sendMessage", times=10**6, probability=0.3), "exactly-once"),
    Scenario("slow-7", "every sendMessage answered after 7 s (PTB's read timeout is 5 s)",
             lambda stub: stub.slow("sendMessage", 7.0, times=10**6), "exactly-once", settle=8.0),
    Scenario("5xx-429-storm", "each sendMessage: 502, 503 or 500 (15 % each) or 429 retry_after=3 (15 %)",
             _storm, "exactly-once"),
    Scenario("drop-before-30%", "30 % of sendMessage: connection closed before processing (the price: lost)",
             lambda stub: stub.drop_before_processing("sendMessage", times=10**6, probability=0.3), "lossy"),
]


@dataclass
class Result:
    scenario: Scenario
    asked: int = 0
    answered: int = 0
    lost: int = 0
    duplicates: int = 0
    apologies: int = 0
    apologies_owed: int = 0
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    warnings: Counter = field(default_factory=Counter)

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    @property
    def kept_promise(self) -> bool:
        if self.duplicates:
            return False
        if self.scenario.promise == "exactly-once":
            return self.lost == 0 and self.apologies == 0
        return True


class WarningCounter(logging.Handler):
    """Counts the bot's warnings by kind (what an operator would see in the log)."""

    KINDS = {"retrying in": "retried", "probably delivered": "probably-delivered",
             "not delivered": "given-up", "polling": "polling-errors"}

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: Counter = Counter()
        self.errors: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.levelno >= logging.ERROR:
            self.errors.append(f"{record.name}: {message}")
        for fragment, kind in self.KINDS.items():
            if fragment in message:
                self.counts[kind] += 1


def run_scenario(scenario: Scenario, base: Settings, searcher, users: int, questions: int, deadline: float,
                 seed: int, log_dir: Path) -> Result:
    stub = TelegramStub(seed=seed).start()
    counter = WarningCounter()
    logging.getLogger().addHandler(counter)
    settings = dataclasses.replace(
        base, telegram_bot_token=stub.token, telegram_base_url=stub.url, telegram_proxy="",
        allowed_user_ids=frozenset(), admin_user_ids=frozenset(), index_watch_seconds=0.0,
        rate_limit_per_minute=max(20, questions), delivery_deadline_seconds=deadline,
        question_log_path=log_dir / f"{scenario.name}.sqlite3", log_salt="drill")
    bot = RunningBot(settings, stub, searcher)
    result = Result(scenario)
    started = time.monotonic()
    try:
        ids = [7000 + n for n in range(users)]
        asked: dict[int, list[float]] = {u: [] for u in ids}
        mark = stub.mark()
        scenario.fault(stub)
        # The first round at once (one getUpdates hands it out; an armed outage meets its
        # replies), the rest spread over the next 20 s (or over the outage, when there is one).
        first = min(users, questions)
        with stub.cond:
            for n in range(first):
                stub.send_text(ids[n], QUESTIONS[n % len(QUESTIONS)])
                asked[ids[n]].append(stub.pushed_at[stub.last_update_id])
        rest = questions - first
        spread = 20.0
        for n in range(rest):
            time.sleep(spread / max(rest, 1))
            user = ids[(first + n) % users]
            stub.send_text(user, QUESTIONS[(first + n) % len(QUESTIONS)])
            asked[user].append(stub.pushed_at[stub.last_update_id])
        result.asked = questions

        def answers_to(user: int):
            return [c for c in stub.delivered(user, mark) if c.text != APOLOGY]

        # Wait until every question is answered; or until all were fetched, no apology is owed
        # and nothing has been sent for a while (lost replies, given-up replies apologised for).
        def settled() -> bool:
            if stub.down:
                return False
            if all(len(answers_to(u)) >= len(asked[u]) for u in ids):
                return True
            if not stub.confirmed(stub.last_update_id) or bot.app.bot_data.delivery.apologies:
                return False
            sends = [c.received for c in stub.calls_since(mark, method="sendMessage")]
            return not sends or time.monotonic() - max(sends) > QUIET
        limit = time.monotonic() + deadline + 150
        while not settled() and time.monotonic() < limit:
            time.sleep(0.5)
        time.sleep(scenario.settle)  # late duplicates would show up now
        result.seconds = time.monotonic() - started
        for user in ids:
            got = answers_to(user)
            result.answered += min(len(got), len(asked[user]))
            result.lost += max(0, len(asked[user]) - len(got))
            result.duplicates += max(0, len(got) - len(asked[user]))
            # Each answer against the latest question asked before it went out (a lost
            # answer must not pair the next one with the wrong question).
            result.latencies += [reply.done - max(q for q in asked[user] if q <= reply.done) for reply in got
                                 if any(q <= reply.done for q in asked[user])]
        result.apologies = sum(1 for c in stub.delivered(mark=mark) if c.text == APOLOGY)
        result.apologies_owed = len(bot.app.bot_data.delivery.apologies)
        result.warnings = counter.counts
        if counter.errors:
            result.warnings["errors"] = len(counter.errors)
    finally:
        bot.stop(timeout=30)
        stub.stop()
        logging.getLogger().removeHandler(counter)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("scenarios", nargs="*", help="scenario names (default: all; see --list)")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--deadline", type=float, default=None,
                        help="DELIVERY_DEADLINE_SECONDS (default: the setting, 90)")
    parser.add_argument("--seed", type=int, default=13, help="for the faults given with a probability")
    parser.add_argument("--verbose", action="store_true", help="the bot's own log on stderr")
    args = parser.parse_args(argv)
    by_name = {s.name: s for s in SCENARIOS}
    if args.list:
        for s in SCENARIOS:
            print(f"{s.name:16} {s.what}")
        return 0
    unknown = [n for n in args.scenarios if n not in by_name]
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(unknown)}; --list shows them")
    chosen = [by_name[n] for n in args.scenarios] or SCENARIOS

    shown = logging.StreamHandler(sys.stderr)
    shown.setLevel(logging.INFO if args.verbose else logging.CRITICAL)
    shown.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [shown]
    root.setLevel(logging.INFO)  # the counter sees the warnings, shown or not

    from bot.retrieval.opening import open_searcher

    base = Settings.from_env(env_file=None)
    deadline = args.deadline if args.deadline is not None else base.delivery_deadline_seconds
    print(f"loading the index in {base.index_dir} …", file=sys.stderr)
    searcher = open_searcher(base, allow_stale=True)  # as it is: the drill is about delivery
    print(f"{len(chosen)} scenario(s), {args.questions} questions from {args.users} users, "
          f"delivery deadline {deadline:.0f} s\n")
    header = (f"{'scenario':16} {'answered':>8} {'lost':>5} {'dupl.':>5} {'apol.':>5} {'p50 s':>6} {'p95 s':>6} "
              f"{'took s':>6}  warnings")
    print(header)
    print("-" * len(header))
    broken = []
    with tempfile.TemporaryDirectory(prefix="fault-drill-") as tmp:
        for scenario in chosen:
            r = run_scenario(scenario, base, searcher, args.users, args.questions, deadline, args.seed, Path(tmp))
            warn = ", ".join(f"{k} {v}" for k, v in sorted(r.warnings.items()))
            print(f"{scenario.name:16} {r.answered:>5}/{r.asked:<2} {r.lost:>5} {r.duplicates:>5} {r.apologies:>5} "
                  f"{r.pct(0.5):>6.1f} {r.pct(0.95):>6.1f} {r.seconds:>6.0f}  {warn}", flush=True)
            if not r.kept_promise:
                broken.append(scenario.name)
    print()
    for scenario in chosen:
        print(f"{scenario.name:16} {scenario.what} [{scenario.promise}]")
    if broken:
        print(f"\npromise broken in: {', '.join(broken)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
