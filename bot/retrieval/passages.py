"""Turn duty items (and their example questions) into the passages that get indexed.

An item is findable through several texts: its title, each town duty point, each
penalty clause, each department section and each example question. Every passage
maps back to its item, so a question matching any of them finds the item.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from bot.corpus.model import Duty
from bot.corpus.questions import ExampleQuestion, load_questions

__all__ = ["ExampleQuestion", "Passage", "build_passages", "item_passages", "load_questions"]

@dataclass(frozen=True)
class Passage:
    item_id: str
    kind: str
    text: str
    department: str = ""  # for department sections: the section's department(s), "、"-joined
    source: str = ""  # for example questions: where they came from (list, life, learned)

    def to_dict(self) -> dict:
        return asdict(self)




def item_passages(duty: Duty) -> list[Passage]:
    title = duty.display_title
    passages = [Passage(duty.id, "title", title)]
    # A coop point ("排查、上报辖区内…") loses its subject; prefixing the short item
    # title keeps it on topic. Basic titles are the whole item text already.
    short_title = title if duty.list != "basic" and len(title) <= 40 else ""
    for point in duty.town_duties:
        if point.rstrip("。") not in title:
            passages.append(Passage(duty.id, "duty", f"{short_title}：{point}" if short_title else point))
    for clause in duty.penalties:
        if clause != title:
            passages.append(Passage(duty.id, "penalty", clause))
    for section in duty.department_duties:
        names = "、".join(section.departments)
        body = "".join(section.duties)
        if body:
            passages.append(Passage(duty.id, "department", f"{short_title}：{names}：{body}"[:400], names))
    return passages


def referral_passages(referral) -> list[Passage]:
    """A matter outside the list is found by its name and its example questions."""
    return [Passage(referral.id, "referral", referral.name)] + [
        Passage(referral.id, "referral-question", q) for q in referral.questions]


def build_passages(duties: list[Duty], questions: list[ExampleQuestion], referrals=()) -> list[Passage]:
    """Every indexed text; `item_id` is the item's id, or the referral's (`ref-…`)."""
    passages = [p for d in duties for p in item_passages(d)]
    passages += [Passage(q.id, "question", q.q, source=q.source) for q in questions]
    passages += [p for r in referrals for p in referral_passages(r)]
    return passages
