"""Long voice-input messages: what to search, and what the ask (the last clauses) may decide.

docs/experiments/sets/long-messages.jsonl holds 95 long messages (150-450 characters: greetings
and background first, the question usually last, in a fifth in the middle) written by two people
who had not seen the list and labelled by two others holding it, each alone; only the messages
both labelled alike are kept (docs/evaluation.md, "Long messages"). Each variant is the whole
engine with only the handling of long messages changed:

- part: the whole message, or the question part of one longer than N characters (clauses kept
  from the end, bot/retrieval/question.py);
- the ask: the last clauses within 30 characters, searched alone; "old rule": its answer replaces
  the part's when it is a list item the decision is surer of or a referral where the part found
  no list item, and danger in either counts; "used": its answer replaces the part's when it is a
  referral where the part found no list item, or a list item where the part found nothing, and
  its danger counts when the part's urgency is at least SECOND_READ_FROM.

Run from the project folder after scripts/build_index.py:
    .venv/bin/python docs/experiments/long_messages.py
"""
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, '.')
from bot.retrieval.emergency import SECOND_READ_FROM  # noqa: E402
from bot.retrieval.metrics import Outcome, load_eval, score  # noqa: E402
from bot.retrieval.opening import open_searcher  # noqa: E402
from bot.retrieval.question import prepare  # noqa: E402
from bot.settings import Settings  # noqa: E402

DATA = Path(__file__).parent / 'sets' / 'long-messages.jsonl'
searcher = open_searcher(Settings.from_env())
questions = load_eval(DATA)


def old_rule(part, ask):
    emergency = part.emergency or ask.emergency
    if (ask.kind == "list" and ask.confidence > part.confidence) or (ask.kind == "referral" and part.kind != "list"):
        part = ask
    return replace(part, emergency=emergency)


def used_rule(part, ask):
    emergency = part.emergency or (ask.emergency if part.urgency >= SECOND_READ_FROM else None)
    if (ask.kind == "referral" and part.kind != "list") or (ask.kind == "list" and part.kind == "none"):
        part = ask
    return replace(part, emergency=emergency)


def run(limit: int, rule=None, cut: bool = False) -> list[Outcome]:
    out = []
    for q in questions:
        prepared = prepare(q.q[:limit] if cut else q.q, limit)
        result = searcher._search_text(q.q, prepared.text, prepared.note, 3)
        if rule is not None and prepared.ask:
            result = rule(result, searcher._search_text(q.q, prepared.ask, prepared.note, 3))
        out.append(Outcome(q, [m.id for m in result.matches], result.answered, result.kind,
                           result.emergency is not None))
    return out


engine = [searcher.search(q.q, top_k=3) for q in questions]
variants = {
    f"the engine as it is (MAX_QUESTION_CHARS {searcher.config.max_chars})":
        [Outcome(q, [m.id for m in r.matches], r.answered, r.kind, r.emergency is not None)
         for q, r in zip(questions, engine)],
    "200 characters, old rule for the ask (until the thirteenth session)": run(200, old_rule),
    "200 characters, no ask": run(200),
    "the first 200 characters (cut), no ask": run(200, cut=True),
    "whole message, old rule for the ask": run(10 ** 6, old_rule),
    "whole message, no ask": run(10 ** 6),
    "whole message, the ask used as now (the thirteenth session)": run(10 ** 6, used_rule),
}
n_in = sum(q.in_scope for q in questions)
n_urgent = sum(q.emergency is True for q in questions)
print(f"{len(questions)} messages ({n_in} in the list, {len(questions) - n_in} not; {n_urgent} about danger now), "
      f"{min(len(q.q) for q in questions)}-{max(len(q.q) for q in questions)} characters\n")
print("| variant | top-1 | top-3 | top-1 answered | out-of-list not a list item | answered unrelated | referred | "
      "danger now flagged | false alarms |")
print("|---|---|---|---|---|---|---|---|---|")


def f(x):
    return "–" if x is None else f"{x:.3f}"


for name, outcomes in variants.items():
    s = score(outcomes)
    print(f"| {name} | {s.top1:.3f} | {s.top3:.3f} | {f(s.top1_answered)} | {f(s.oos_rejected)} | "
          f"{f(s.oos_unrelated)} | {f(s.referral_share)} | {f(s.emergency_recall)} | {f(s.false_alarms)} |")
