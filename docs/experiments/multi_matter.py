"""Several matters in one message: split it into asks, and answer each ask the decision is sure of.

docs/experiments/sets/multi-matter.jsonl holds messages written by two people who had not seen
the list (two or three matters each, or one matter told in several sentences as a control) and
labelled by two others holding it, each alone; a message is kept when both found the same
matters with the same answers (docs/evaluation.md, "Several matters in one message"). Each
variant is the whole engine (Searcher.search) with only the splitting changed: off, or on with
the bar an ask's answer must pass (P(list) for an item, P(the referral is right) for a referral),
with or without the check that an ask's answer is among the whole message's nearest.

On the multi-matter set: the share of labelled matters that get their own right answer (an item
of theirs first, or their referral), messages with every matter answered, and parts that answer
no matter of the message. On the single-matter sets (dev, life-dev, the long messages and the
set's one-matter controls): how often a message is split at all, the extra parts that answer
something the labels do not even touch, and the first answer's usual figures (in-list answered
right, out-of-list not a list item), which splitting must not lower, and (where labelled) danger
flagged and false alarms: each ask is read for danger too.

Run from the project folder after scripts/build_index.py:
    .venv/bin/python docs/experiments/multi_matter.py [../shared/eval/dev.jsonl ../shared/eval/life-dev.jsonl ...]
    .venv/bin/python docs/experiments/multi_matter.py --timing   # answer time on the set, split off and on
    .venv/bin/python docs/experiments/multi_matter.py --notes [sets…]  # only the readings of unsure asks
"""
import json
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, '.')
from bot.retrieval.metrics import Outcome, load_eval, score  # noqa: E402
from bot.retrieval.opening import open_searcher  # noqa: E402
from bot.retrieval.searcher import Searcher  # noqa: E402
from bot.settings import Settings  # noqa: E402

SETS = Path(__file__).parent / 'sets'
MULTI = SETS / 'multi-matter.jsonl'
LONG = SETS / 'long-messages.jsonl'
base = open_searcher(Settings.from_env())


def variant(split: bool, bar: float = 0.8, nearest: bool = True, alarm: float = base.config.ask_alarm,
            note: bool = True, confirm: bool = True) -> Searcher:
    return Searcher(base.index, base.embedder,
                    replace(base.config, split_asks=split, ask_min_confidence=bar, ask_min_referral=bar,
                            ask_among_nearest=nearest, ask_alarm=alarm, ask_note_unsure=note,
                            ask_whole_confirms=confirm))


def parts_of(result):
    """(kind, best item or referral id) of the first answer and of each other one."""
    def one(r):
        if r.kind == "list" and r.matches:
            return ("list", r.matches[0].id)
        if r.kind == "referral" and r.referral is not None:
            return ("referral", r.referral.id)
        return ("none", "")
    return [one(result)] + [one(o) for o in result.others]


def answers(part, ask) -> bool:
    kind, target = part
    return (kind == "list" and target in ask["gold"]) or (kind == "referral" and target == ask.get("ref"))


def touches(part, asks) -> bool:
    kind, target = part
    return kind == "none" or any(answers(part, a) or (kind == "list" and target in a.get("partial", []))
                                 or (kind == "referral" and not a["gold"] and a.get("ref") is None)
                                 for a in asks)


def multi_figures(searcher: Searcher, messages) -> dict:
    matters = right = full = wrong = parts_n = urgent = flagged = false_alarms = notes = covered = 0
    for m in messages:
        asks = m["asks"]
        result = searcher.search(m["q"], 5)
        parts = parts_of(result)
        if any(a.get("urgent") for a in asks):
            urgent += 1
            flagged += result.emergency is not None
        else:
            false_alarms += result.emergency is not None
        answerable = [a for a in asks if a["gold"] or a.get("ref")]
        got = [a for a in answerable if any(answers(p, a) for p in parts)]
        matters += len(answerable)
        right += len(got)
        full += len(got) == len(answerable)
        parts_n += len(parts)
        wrong += sum(not touches(p, asks) for p in parts)
        notes += len(result.unsure_asks)
        # every matter answered, or named: a named ask whose own reading answers or touches it
        named = [parts_of(searcher.search(ask, 5))[0] for ask in result.unsure_asks]
        covered += all(a in got or any(answers(p, a) or touches(p, [a]) and p[0] != "none" for p in named)
                       for a in answerable)
    return {"matters": matters, "answered": right / max(1, matters), "all answered": full / max(1, len(messages)),
            "parts": parts_n / max(1, len(messages)), "parts answering nothing asked": wrong,
            "asks named to send alone": notes, "all answered or named": covered / max(1, len(messages)),
            "danger flagged": f"{flagged} of {urgent}", "false alarms": false_alarms}


def single_figures(searcher: Searcher, questions) -> dict:
    outcomes, split, unrelated, notes = [], 0, 0, 0
    for q in questions:
        result = searcher.search(q.q, 5)
        outcomes.append(Outcome(q, [m.id for m in result.matches], result.answered, result.kind,
                                result.emergency is not None))
        split += bool(result.others)
        notes += bool(result.unsure_asks)
        for kind, target in parts_of(result)[1:]:
            unrelated += kind == "list" and target not in q.gold + q.partial
    s = score(outcomes)
    figures = {"n": len(questions), "split": split, "extra list parts not touching it": unrelated,
               "an ask named to send alone": notes}
    if any(q.has_gold for q in questions):
        figures |= {"answered right": s.top1_answered, "out-of-list not a list item": s.oos_rejected}
    flagged = [o.emergency for o in outcomes if o.question.emergency is False]
    urgent = [o.emergency for o in outcomes if o.question.emergency]
    return figures | ({"false alarms": sum(flagged)} if flagged else {}) | (
        {"danger flagged": f"{sum(urgent)} of {len(urgent)}"} if urgent else {})


def timing(messages) -> None:
    """Median and p95 answer time over the set's messages, split off and on (five rounds each)."""
    import time
    for name, searcher in [("no split", variant(False)), ("split (the engine)", variant(True))]:
        times = []
        for _ in range(5):
            for m in messages:
                start = time.perf_counter()
                searcher.search(m["q"], 5)
                times.append((time.perf_counter() - start) * 1000)
        times.sort()
        print(f"{name}: p50 {times[len(times) // 2]:.1f} ms, p95 {times[int(len(times) * 0.95)]:.1f} ms")


def main() -> None:
    multi = [json.loads(line) for line in MULTI.read_text(encoding="utf-8").splitlines() if line.strip()]
    if sys.argv[1:] == ["--timing"]:
        timing(multi)
        return
    several = [m for m in multi if len(m["asks"]) > 1]
    controls = [m for m in multi if len(m["asks"]) == 1]
    singles = {"one-matter controls": load_eval_lines(controls), "long messages": load_eval(LONG)}
    print(f"{len(several)} messages with several matters, {len(controls)} one-matter controls")
    variants = [("no split", variant(False)), ("split, bar 0.6", variant(True, 0.6)),
                ("split, bar 0.7", variant(True, 0.7)), ("split, bar 0.8", variant(True, 0.8)),
                ("split, bar 0.9", variant(True, 0.9)),
                ("split, bar 0.8, without the nearest check", variant(True, 0.8, nearest=False)),
                ("split, bar 0.8, an ask's danger only where the whole sounded urgent",
                 variant(True, 0.8, alarm=1.01)),
                ("split, bar 0.8, an ask's danger from its urgency 0.95", variant(True, 0.8, alarm=0.95)),
                ("split, bar 0.8, unsure asks dropped without a word (before the fifteenth session)",
                 variant(True, 0.8, note=False)),
                ("split, bar 0.8, an unsure ask the whole answers is not answered beside a sure one "
                 "(before the sixteenth session)", variant(True, 0.8, confirm=False))]
    if "--notes" in sys.argv:  # only the readings of unsure asks
        sys.argv.remove("--notes")
        variants = variants[3:4] + variants[-2:]
    for set_name in sys.argv[1:]:
        singles[Path(set_name).stem] = load_eval(Path(set_name))
    for name, searcher in variants:
        print(f"\n## {name}")
        print("several matters:", json.dumps(multi_figures(searcher, several), ensure_ascii=False))
        for set_name, questions in singles.items():
            print(f"{set_name}:", json.dumps(single_figures(searcher, questions), ensure_ascii=False))


def load_eval_lines(messages):
    """One-matter controls as evaluation questions (gold: the ask's items; partial as labelled)."""
    from bot.retrieval.metrics import EvalQuestion
    return [EvalQuestion(m["q"], m["asks"][0]["gold"], partial=m["asks"][0].get("partial", []))
            for m in messages]


if __name__ == "__main__":
    main()
