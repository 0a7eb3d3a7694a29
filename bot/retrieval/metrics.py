"""Retrieval metrics over a question set.

Ranking: top-1, top-3, MRR@10 of the gold items. Decision: in-list questions answered with
the right item first ("top-1 answered"), in-list questions not answered as a list item
("falsely rejected"), out-of-list questions not presented as a list item ("rejected"), and
out-of-list questions answered with an item that does not even touch them ("unrelated").
Emergencies: urgent questions flagged, calm ones flagged by mistake.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class EvalQuestion:
    q: str
    gold: list[str]
    style: str = ""
    partial: list[str] = field(default_factory=list)
    emergency: bool | None = None  # None: not labelled
    has_gold: bool = True  # False for sets that only label emergencies

    @property
    def in_scope(self) -> bool:
        return bool(self.gold)


@dataclass
class Outcome:
    question: EvalQuestion
    ranked: list[str]
    answered: bool | None = None  # None: the system makes no answered/not-answered decision
    kind: str = ""
    emergency: bool | None = None


@dataclass
class Scores:
    n_in: int = 0
    n_out: int = 0
    top1: float = 0.0
    top3: float = 0.0
    mrr10: float = 0.0
    top1_answered: float | None = None
    oos_rejected: float | None = None
    false_rejected: float | None = None
    oos_unrelated: float | None = None
    referral_share: float | None = None  # out-of-list questions answered with a referral
    emergency_recall: float | None = None
    false_alarms: float | None = None
    by_style: dict[str, dict[str, float]] = field(default_factory=dict)


def load_eval(path: Path) -> list[EvalQuestion]:
    out = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            emergency = data.get("emergency")
            out.append(EvalQuestion(data["q"], list(data.get("gold") or []), data.get("style", ""),
                                    list(data.get("partial") or []),
                                    emergency if isinstance(emergency, bool) else None, "gold" in data))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{lineno}: expected {{\"q\": …, \"gold\": […]}} ({exc})") from None
    return out


def _rank_of(ranked: list[str], gold: list[str]) -> int | None:
    for i, item in enumerate(ranked[:10]):
        if item in gold:
            return i + 1
    return None


def _share(items: list[bool]) -> float | None:
    return sum(items) / len(items) if items else None


def _summarise(outcomes: list[Outcome]) -> dict[str, float]:
    ins = [o for o in outcomes if o.question.has_gold and o.question.in_scope]
    outs = [o for o in outcomes if o.question.has_gold and not o.question.in_scope]
    row: dict[str, float] = {"n": len(outcomes)}
    if ins and any(o.ranked for o in ins):
        ranks = [_rank_of(o.ranked, o.question.gold) for o in ins]
        row["top1"] = sum(r == 1 for r in ranks) / len(ins)
        row["top3"] = sum(r is not None and r <= 3 for r in ranks) / len(ins)
        row["mrr10"] = sum(1 / r for r in ranks if r) / len(ins)
        decided = [(o, r) for o, r in zip(ins, ranks) if o.answered is not None]
        if decided:
            row["false_rejected"] = sum(not o.answered for o, _ in decided) / len(decided)
            row["top1_answered"] = sum(bool(o.answered) and r == 1 for o, r in decided) / len(decided)
    decided_out = [o for o in outs if o.answered is not None]
    if decided_out:
        row["oos_rejected"] = sum(not o.answered for o in decided_out) / len(decided_out)
        row["oos_unrelated"] = sum(bool(o.answered) and bool(o.ranked) and o.ranked[0] not in o.question.partial
                                   for o in decided_out) / len(decided_out)
        if any(o.kind for o in decided_out):
            row["referral_share"] = sum(o.kind == "referral" for o in decided_out) / len(decided_out)
    urgent = [bool(o.emergency) for o in outcomes if o.question.emergency is True and o.emergency is not None]
    calm = [bool(o.emergency) for o in outcomes if o.question.emergency is False and o.emergency is not None]
    if urgent:
        row["emergency_recall"] = sum(urgent) / len(urgent)
    if calm:
        row["false_alarms"] = sum(calm) / len(calm)
    return row


def score(outcomes: list[Outcome]) -> Scores:
    overall = _summarise(outcomes)
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        groups[o.question.style or "-"].append(o)
    return Scores(
        n_in=sum(o.question.has_gold and o.question.in_scope for o in outcomes),
        n_out=sum(o.question.has_gold and not o.question.in_scope for o in outcomes),
        top1=overall.get("top1", 0.0), top3=overall.get("top3", 0.0), mrr10=overall.get("mrr10", 0.0),
        top1_answered=overall.get("top1_answered"), oos_rejected=overall.get("oos_rejected"),
        false_rejected=overall.get("false_rejected"), oos_unrelated=overall.get("oos_unrelated"),
        referral_share=overall.get("referral_share"), emergency_recall=overall.get("emergency_recall"),
        false_alarms=overall.get("false_alarms"),
        by_style={style: _summarise(group) for style, group in sorted(groups.items())},
    )
