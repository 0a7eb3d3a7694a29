"""Long voice-input messages: what to search, and what the ask (the last clauses) may decide.

docs/experiments/sets/long-messages.jsonl holds 95 long messages (150-450 characters: greetings
and background first, the question usually last, in a fifth in the middle) written by two people
who had not seen the list and labelled by two others holding it, each alone; only the messages
both labelled alike are kept (docs/evaluation.md, "Long messages"); an off-list message also
carries "referral" when both named the same referral (or none fits: null). Each variant is the whole
engine with only the handling of long messages changed:

- part: the whole message, or the question part of one longer than N characters (clauses kept
  from the end, bot/retrieval/question.py);
- the ask: the last clauses within 30 characters, searched alone; "old rule": its answer replaces
  the part's when it is a list item the decision is surer of or a referral where the part found
  no list item, and danger in either counts; "where the whole found no item": its referral
  replaces the part's answer where the part found no list item (the part's items stay), its list
  item where the part found nothing, and its danger counts as in the engine (tried in the
  thirteenth session, not kept); the engine reads the ask for danger, when the part's urgency is
  at least SECOND_READ_FROM and below the alarm (Searcher._reads_ask_for_danger), and lets its
  item answer only where the part found nothing and the item is among the part's three nearest
  (Searcher._with_ask).

Run from the project folder after scripts/build_index.py:
    .venv/bin/python docs/experiments/long_messages.py
"""
import json
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, '.')
from bot.retrieval.metrics import Outcome, load_eval, score  # noqa: E402
from bot.retrieval.opening import open_searcher  # noqa: E402
from bot.retrieval.question import prepare  # noqa: E402
from bot.retrieval.searcher import Searcher  # noqa: E402
from bot.settings import Settings  # noqa: E402

DATA = Path(__file__).parent / 'sets' / 'long-messages.jsonl'
searcher = open_searcher(Settings.from_env())
questions = load_eval(DATA)
# The referral both labellers named for an off-list message ("" = none fits); absent = they differed.
referral_of = [json.loads(line).get("referral", "?") for line in DATA.read_text(encoding="utf-8").splitlines()]


def old_rule(part, ask):
    emergency = part.emergency or ask.emergency
    if (ask.kind == "list" and ask.confidence > part.confidence) or (ask.kind == "referral" and part.kind != "list"):
        part = ask
    return replace(part, emergency=emergency)


def danger_only(part, ask):
    return replace(part, emergency=ask.emergency) if searcher._reads_ask_for_danger(part) else part


def where_no_item(part, ask):
    part = danger_only(part, ask)
    if ask.kind == "referral" and part.kind != "list":
        return replace(part, kind="referral", referral=ask.referral, closest_referral=ask.closest_referral)
    if ask.kind == "list" and part.kind == "none":
        return replace(ask, text=part.text, note=part.note, emergency=part.emergency)
    return part


referrals: dict[str, list] = {}


def run(limit: int, rule=None, cut: bool = False, name: str = "") -> list[Outcome]:
    out, offered = [], []
    for q, known in zip(questions, referral_of):
        prepared = prepare(q.q[:limit] if cut else q.q, limit)
        result = searcher._search_text(q.q, prepared.text, prepared.note, 3)
        if rule is not None and prepared.ask:
            result = rule(result, searcher._search_text(q.q, prepared.ask, prepared.note, 3))
        out.append(Outcome(q, [m.id for m in result.matches], result.answered, result.kind,
                           result.emergency is not None))
        if known != "?" and not q.gold:
            offered.append((result.referral.id if result.kind == "referral" and result.referral else "", known or ""))
    referrals[name] = offered
    return out


engine_name = f"the engine as it is (MAX_QUESTION_CHARS {searcher.config.max_chars})"
engine = [searcher.search(q.q, top_k=3) for q in questions]
referrals[engine_name] = [(r.referral.id if r.kind == "referral" and r.referral else "", known or "")
                          for q, r, known in zip(questions, engine, referral_of) if known != "?" and not q.gold]
variants = {
    engine_name: [Outcome(q, [m.id for m in r.matches], r.answered, r.kind, r.emergency is not None)
                  for q, r in zip(questions, engine)],
}
without_name = "the engine without a sure ask deciding for an unsure whole (before the seventeenth session)"
without = Searcher(searcher.index, searcher.embedder, replace(searcher.config, sure_ask_decides=False))
before = [without.search(q.q, top_k=3) for q in questions]
referrals[without_name] = [(r.referral.id if r.kind == "referral" and r.referral else "", known or "")
                           for q, r, known in zip(questions, before, referral_of) if known != "?" and not q.gold]
variants[without_name] = [Outcome(q, [m.id for m in r.matches], r.answered, r.kind, r.emergency is not None)
                          for q, r in zip(questions, before)]
for name, args in {
    "200 characters, old rule for the ask (until the thirteenth session)": (200, old_rule),
    "200 characters, no ask": (200, None),
    "the first 200 characters (cut), no ask": (200, None, True),
    "whole message, old rule for the ask": (10 ** 6, old_rule),
    "whole message, the ask's answer where the whole found no item (tried, not kept)": (10 ** 6, where_no_item),
    "whole message, no ask": (10 ** 6, None),
    "whole message, the ask read only for danger": (10 ** 6, danger_only),
}.items():
    variants[name] = run(*args, name=name)
n_in = sum(q.in_scope for q in questions)
n_urgent = sum(q.emergency is True for q in questions)
print(f"{len(questions)} messages ({n_in} in the list, {len(questions) - n_in} not; {n_urgent} about danger now), "
      f"{min(len(q.q) for q in questions)}-{max(len(q.q) for q in questions)} characters\n")
n_known = len(referrals[engine_name])
print(f"| variant | top-1 | top-3 | top-1 answered | out-of-list not a list item | answered unrelated | referred | "
      f"right / wrong referral ({n_known} labelled) | danger now flagged | false alarms |")
print("|---|---|---|---|---|---|---|---|---|---|")


def f(x):
    return "–" if x is None else f"{x:.3f}"


for name, outcomes in variants.items():
    s = score(outcomes)
    pairs = referrals[name]
    right = sum(bool(got) and got == known for got, known in pairs)
    wrong = sum(bool(got) and got != known for got, known in pairs)
    print(f"| {name} | {s.top1:.3f} | {s.top3:.3f} | {f(s.top1_answered)} | {f(s.oos_rejected)} | "
          f"{f(s.oos_unrelated)} | {f(s.referral_share)} | {right} / {wrong} | {f(s.emergency_recall)} | "
          f"{f(s.false_alarms)} |")
