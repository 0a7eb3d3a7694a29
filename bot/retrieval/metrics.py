"""Retrieval metrics over a question set: top-1, top-3, MRR@10, out-of-scope rejection."""
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

    @property
    def in_scope(self) -> bool:
        return bool(self.gold)


@dataclass
class Outcome:
    question: EvalQuestion
    ranked: list[str]
    answered: bool | None = None  # None: the system makes no answered/not-answered decision


@dataclass
class Scores:
    n_in: int = 0
    n_out: int = 0
    top1: float = 0.0
    top3: float = 0.0
    mrr10: float = 0.0
    oos_rejected: float | None = None
    false_rejected: float | None = None
    by_style: dict[str, dict[str, float]] = field(default_factory=dict)


def load_eval(path: Path) -> list[EvalQuestion]:
    out = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            out.append(EvalQuestion(data["q"], list(data.get("gold") or []), data.get("style", "")))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{lineno}: expected {{\"q\": …, \"gold\": […]}} ({exc})") from None
    return out


def _rank_of(ranked: list[str], gold: list[str]) -> int | None:
    for i, item in enumerate(ranked[:10]):
        if item in gold:
            return i + 1
    return None


def _summarise(outcomes: list[Outcome]) -> dict[str, float]:
    ins = [o for o in outcomes if o.question.in_scope]
    outs = [o for o in outcomes if not o.question.in_scope]
    row: dict[str, float] = {"n": len(outcomes)}
    if ins:
        ranks = [_rank_of(o.ranked, o.question.gold) for o in ins]
        row["top1"] = sum(r == 1 for r in ranks) / len(ins)
        row["top3"] = sum(r is not None and r <= 3 for r in ranks) / len(ins)
        row["mrr10"] = sum(1 / r for r in ranks if r) / len(ins)
        decided = [o for o in ins if o.answered is not None]
        if decided:
            row["false_rejected"] = sum(not o.answered for o in decided) / len(decided)
    decided_out = [o for o in outs if o.answered is not None]
    if decided_out:
        row["oos_rejected"] = sum(not o.answered for o in decided_out) / len(decided_out)
    return row


def score(outcomes: list[Outcome]) -> Scores:
    overall = _summarise(outcomes)
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        groups[o.question.style or "-"].append(o)
    return Scores(
        n_in=sum(o.question.in_scope for o in outcomes),
        n_out=sum(not o.question.in_scope for o in outcomes),
        top1=overall.get("top1", 0.0), top3=overall.get("top3", 0.0), mrr10=overall.get("mrr10", 0.0),
        oos_rejected=overall.get("oos_rejected"), false_rejected=overall.get("false_rejected"),
        by_style={style: _summarise(group) for style, group in sorted(groups.items())},
    )
