"""From a search result to an Answer: who handles it, the matter, whom to call, what else to offer.

Pure data in, data out: no markup here (see render.py) and no search (see bot/retrieval).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from bot.answers.answer import (
    Answer,
    ContactLine,
    Emergency,
    MatterAnswer,
    MatterPart,
    ReferralAnswer,
)
from bot.answers.emergency_lines import RELATED_ITEMS, emergency_for
from bot.answers.roles import lead, town_first, who_part
from bot.corpus.contacts import Contact
from bot.corpus.matters import Matter
from bot.corpus.model import Duty
from bot.retrieval.searcher import Match, SearchResult

CITY_HOTLINE = "12345"  # 政务服务便民热线: where a city department's own number is not known
# The police take reports on 110 and do paperwork at the local station (派出所), not through 12345.
POLICE_OFFICE = "公安"
POLICE = "110"
TOWN_CONTACT = "卧牛河镇人民政府"
TOWN_PREFIX = "卧牛河镇"  # the town's own offices in contacts.tsv
ITEM_ID = re.compile(r"(?<![A-Za-z0-9])(?:basic|coop|returned)-\d{3}(?![0-9])")
SERVICE_CENTRE = "卧牛河镇便民服务中心"  # basic-107: its number stands in for the town's when only it is filled in
PARTY_CATEGORY = "党的建设"  # party and discipline work: not a matter to take to the village committee or 12345
# "咋领 / 在哪交 / 啥时候发" asks how to get one thing done; "归谁管 / 找谁 / 哪个部门" asks whose the matter
# is. Only the second is answered with every part of the matter the question came near: a black-box review
# read "高龄补贴咋领" answered "镇里负责：高龄津贴发放；归市民政局（镇里不再负责）：高龄津贴追缴" as "the
# money will be taken back", and "医保咋交" got the city's 医保个人账户支取 beside it.
ASKS_WHO = re.compile(r"谁|哪个部门|哪个单位|哪个局|哪管|归哪|找哪|管不管|负责")
ASKS_HOW = re.compile(r"咋|怎么|怎样|如何|在哪|去哪|上哪|哪里|哪儿|啥时候|什么时候|多少|多长")


# A penalty clause is what to read for a report of someone's violation ("有人往河滩倒渣土", "邻居盖房占了院子") or
# a question about penalties ("能罚吗", "超载了会怎么罚"); to "屯里垃圾好几天没人拉了" or "自来水停了" the clause
# that matched ("对倾倒垃圾…的处罚", "对破坏水源…的处罚") reads as aimed at the asker (black-box review #4).
ABOUT_A_VIOLATION = re.compile(r"罚|违|合规|超载|超面积|有人|邻居|邻村|人家|几户|谁家|乱|私自|偷|不让|撵")


# "我是网格员…" / "网格员走访发现…应该报给谁" / "书记让我…": a cadre reports to the town's office in charge or the
# town's cadre for the village (包村干部), not to the service counter, the village committee or 12345 (black-box
# review #4 found a grid worker's report of a left-behind child sent to the hotline).
CADRE = re.compile(r"(我|俺|咱)(是|们是|当)[^，。,？?\s]{0,8}?(网格员|村干部|村官|支书|书记|主任|会计|选调生|包村|护林员"
                   r"|防疫员|村委|村两委|文书|联络员|专干|镇里的|站的)"
                   r"|网格员(咋|怎么|该|应该|要不要|入户|走访|排查|上报|发现|需要|得)|(上面|镇里|书记|领导)让(我|俺|网格员)")


def from_a_cadre(question: str) -> bool:
    """Whether the asker says they are a village cadre, grid worker or town staff, or asks as one."""
    return bool(CADRE.search(question))


def about_a_violation(text: str) -> bool:
    """Whether a question reports someone's violation or asks about a penalty."""
    return bool(ABOUT_A_VIOLATION.search(text))


def asks_how_only(text: str) -> bool:
    """Whether a question asks how, where or when to get something done, and not whose job it is."""
    return bool(ASKS_HOW.search(text)) and not ASKS_WHO.search(text)


MAX_ALTERNATIVES = 3
# An alternative is offered only when its fused score is within this distance of the best item's.
# On the dev and life-dev questions whose first answer is not their item, every gap from 0.025 to
# 0.05 keeps the gold item among the buttons as often (30 of 48; 0.06: 31); 0.035 shows about half
# the buttons of 0.06, and on life-dev 0.40 of them are the labellers' answer or an item touching
# the question instead of 0.29 (docs/experiments/alternatives_gap.py, docs/evaluation.md). A review
# found about half of all answers with related items it read as noise.
ALTERNATIVE_GAP = 0.035
# A matter's part is near the question, and named in 归谁管, within the wider gap the buttons had before: a
# matter's parts are one topic, and "宅基地" or "砍几棵树要办采伐证不" need the city's part (登记, 采伐许可) named.
PART_GAP = 0.06
# On life-dev, 0.10 keeps 22 of the 24 turned-away in-list questions whose gold item was among the
# buttons, and cuts out-of-list answers with an unrelated button from 90 of 96 to 21
# (docs/experiments/alternatives_floor.py, docs/evaluation.md).
ALTERNATIVE_MIN_CONFIDENCE = 0.10
MAX_WHO_PARTS = 3


@dataclass
class Knowledge:
    """What answers need besides the search index: short names, matters, contacts."""

    shorts: dict[str, str] = field(default_factory=dict)
    matters: list[Matter] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.matter_of = {item: m for m in self.matters for item in m.items}
        self.contact_by_name = {c.name: c for c in self.contacts}
        # A town office whose 备注 names items ("basic-061：受理调解申请…") is where the town does them
        # (卧牛河镇人民调解委员会 for mediation, 卧牛河镇纪委 for discipline): the first such office wins.
        self.town_office_of: dict[str, Contact] = {}
        for c in self.contacts:
            if c.name.startswith(TOWN_PREFIX) and c.name != TOWN_CONTACT:
                for item in ITEM_ID.findall(c.note):
                    self.town_office_of.setdefault(item, c)


def short_of(duty: Duty, shorts: dict[str, str]) -> str:
    """The item's short name; an item without one gets the head of its title."""
    return shorts.get(duty.id) or duty.display_title.rstrip("。")[:12]


def short_name(duty: Duty, knowledge: Knowledge) -> str:
    return short_of(duty, knowledge.shorts)


def _matter(best: Duty, knowledge: Knowledge, duty_of, near: set[str]) -> MatterAnswer | None:
    """The best item's matter: all its items, and as parts to show those the question came near.

    A black-box review read "归市住房和城乡建设局：户外广告张贴审批…" and five such lines above the
    answer to "垃圾好几天没人拉了" as burying it: a part the question is not near is not its matter's
    answer ("宅基地谁管" is near both the town's approval and the city's registration). A part that has
    ended is named only when it is what was asked about: another review read "生育登记在哪办" answered
    "镇里负责：生育政策与奖扶上报；已停止办理：终止妊娠证明" as alarming a new mother."""
    matter = knowledge.matter_of.get(best.id)
    if matter is None:
        return None
    duties = town_first([d for d in (duty_of(i) for i in matter.items) if d is not None])
    near_parts = [d for d in duties if d.id in near or d.id == best.id]
    shown = [d for d in near_parts if d.id == best.id or not d.discontinued]
    if 2 * len(near_parts) > len(duties):  # near most parts: the matter as a whole, so all its parts
        shown = duties  # (the search's top matches may leave one out)
    parts = tuple(MatterPart(d.id, short_name(d, knowledge), d.list, who_part(d)) for d in shown)
    return MatterAnswer(matter.name, tuple(d.id for d in duties), parts)


def who_line(best: Match, matter: MatterAnswer | None, knowledge: Knowledge) -> str:
    """归谁管 in one line: the best item's part; for a matter, who does which part, the town's first."""
    duty = best.duty
    assert duty is not None
    own = who_part(duty, best.lead_department)
    if matter is None or len(matter.parts) < 2:
        return own
    # Group the matter's items by whose they are: the answering item's part first (a black-box review
    # read "镇里负责：畜禽强制免疫；…" over a card saying "镇里不再办理" as a contradiction), then the
    # town-first order.
    groups: dict[str, list[str]] = {}
    mine = next((p.who for p in matter.parts if p.id == duty.id), own)
    parts = sorted(matter.parts, key=lambda p: (p.who != mine, p.id != duty.id))
    for part in parts:
        groups.setdefault(part.who, []).append(part.short)
    if len(groups) < 2:  # everyone's part is the same: the matter adds nothing to "who"
        return own
    pieces = [f"{who}：{'、'.join(shorts[:2])}{'等' if len(shorts) > 2 else ''}" for who, shorts in groups.items()]
    line = "；".join(pieces[:MAX_WHO_PARTS])
    return line + ("；…" if len(pieces) > MAX_WHO_PARTS else "")


def _departments_named(best: Match) -> list[str]:
    """Whom to call: the answering item's departments, its lead first (or the section the question
    matched, where that is what matched best). Not the matter's other items': a black-box review
    found 市民政局 (高龄津贴追缴) offered for the town's own old-age allowance."""
    duty = best.duty
    if duty is None or duty.discontinued:
        return []
    return duty.departments_first(best.lead_department)


def _town_walk_in(best: Match, knowledge: Knowledge, cadre: bool = False) -> ContactLine | None:
    """Where to go for the town's own work or its part of a city department's while no town number is
    filled in (a black-box review found every 🟢 answer without a place or a number): the item's own
    town office where the contacts name one (调解委员会, 纪委 …), else the town government; the
    village committee first for villagers' matters; 12345 for the town's own work (the town takes the
    hotline's tickets in its area, basic-109), except party and discipline work ("report a village
    cadre to the village committee" would be wrong)."""
    duty = best.duty
    if duty is None or duty.list not in ("basic", "coop"):
        return None
    office = knowledge.town_office_of.get(duty.id)
    if cadre:
        return ContactLine(office.name if office else TOWN_CONTACT, "", walk_in=True, cadre=True)
    villagers = duty.category != PARTY_CATEGORY
    return ContactLine(office.name if office else TOWN_CONTACT, "",
                       CITY_HOTLINE if duty.list == "basic" and villagers else "", walk_in=True, village=villagers)


def contact_lines(names: list[str], knowledge: Knowledge, town: bool,
                  walk_in: ContactLine | None = None) -> list[ContactLine]:
    """📞 lines, the town first: the item's town office's number, else the town's (or its
    便民服务中心's) when known, else `walk_in` (where to go); then each department with its number
    or 12345."""
    lines = []
    if town:
        tried = ([walk_in.name] if walk_in is not None else []) + [TOWN_CONTACT, SERVICE_CENTRE]
        office = next((c for c in (knowledge.contact_by_name.get(n) for n in tried) if c is not None and c.phone), None)
        if office is not None:
            lines.append(ContactLine(office.name, office.phone))
        elif walk_in is not None:
            lines.append(walk_in)
    for name in names[:3]:
        contact = knowledge.contact_by_name.get(name)
        phone = contact.phone if contact else ""
        lines.append(ContactLine(name, phone, "" if phone else (POLICE if POLICE_OFFICE in name else CITY_HOTLINE)))
    return lines


def alternatives(result: SearchResult, skip: set[str]) -> list[Match]:
    """Other items close enough to the best one to be worth a tap (none when nothing is close).

    Under a referral or "not found", list items are offered only when the decision gave the
    best one some chance: otherwise "也可能相关" shows whatever is nearest (信用社卡冻结 →
    三位一体改革)."""
    if not result.matches:
        return []
    if result.kind != "list" and result.confidence < ALTERNATIVE_MIN_CONFIDENCE:
        return []
    return [m for m in near_best(result.matches) if m.id not in skip][:MAX_ALTERNATIVES]


def near_best(matches: list[Match], gap: float | None = None) -> list[Match]:
    """The matches the question came about as near as the best (the best among them): within
    ALTERNATIVE_GAP worth a tap under the answer; within PART_GAP and in its matter, a part of what was asked."""
    gap = ALTERNATIVE_GAP if gap is None else gap
    top = matches[0].score if matches else 0.0
    return [m for m in matches if top - m.score <= gap]


def _lead_with_emergency_item(answer: Answer, result: SearchResult, duty_of) -> None:
    """In danger, the list's item for that danger comes right after the emergency line."""
    assert result.emergency is not None
    related = [i for i in RELATED_ITEMS.get(result.emergency, ()) if duty_of(i) is not None]
    if not related:
        return
    found = {m.id: m for m in result.matches}
    top = max((m.score for m in result.matches), default=0.0)
    lead = [found[i] if i in found else Match.of(duty_of(i), top) for i in related[:1]]
    result.matches = lead + [m for m in result.matches if m.id != lead[0].id]
    answer.matches = result.matches
    result.kind = answer.kind = "list"
    result.referral = None


def _drop_a_referral_beside_the_danger(answer: Answer, result: SearchResult) -> None:
    """Under the alarm, a referral is kept only where it shares a number with the emergency line (an
    ambulance for a heart attack, 95598 for a wire down): that is how it shows it is about the danger. A
    black-box review got 工伤认定 under 120 for "我在地里干活呢 我们家老爷子刚才说胸口疼 … 喘不上气", from
    the story's incidental words; a referral with no number (prevention advice, opening a gas account) gives
    way too. The reply then says the list has no item for it: call the number above."""
    assert answer.emergency is not None
    ref = result.referral
    if result.kind == "referral" and ref is not None and not set(ref.numbers) & set(answer.emergency.numbers):
        result.kind = answer.kind = "none"
        result.referral = None


def compose(result: SearchResult, knowledge: Knowledge, duty_of, cadre: bool | None = None) -> Answer:
    """The Answer to one question. `duty_of(id)` looks an item up in the searcher's list; `cadre`: whether
    a cadre asks (by default read from the question; a message's other matters take the message's)."""
    cadre = from_a_cadre(result.query) if cadre is None else cadre
    shorts = {m.id: short_name(m.duty, knowledge) for m in result.matches if m.duty is not None}
    answer = Answer(question=result.query, text=result.text, kind=result.kind, note=result.note,
                    matches=result.matches, shorts=shorts, unsure_asks=list(result.unsure_asks))
    if result.kind == "empty":
        return answer
    if result.emergency is not None:
        answer.emergency = emergency_for(result.emergency)
        _lead_with_emergency_item(answer, result, duty_of)
        _drop_a_referral_beside_the_danger(answer, result)
        answer.shorts.update({m.id: short_name(m.duty, knowledge) for m in answer.matches if m.duty is not None})
    if result.kind == "referral" and result.referral is not None:
        ref = result.referral
        answer.referral = ReferralAnswer(ref.id, ref.name, ref.where, tuple(ref.numbers))
        answer.alternatives = alternatives(result, set())
    elif result.kind == "list":
        best = result.matches[0]
        assert best.duty is not None  # the searcher describes every match with its item
        near = {m.id for m in near_best(result.matches, PART_GAP)}
        answer.matter = _matter(best.duty, knowledge, duty_of, {best.id} if asks_how_only(result.text) else near)
        if answer.emergency is None:
            answer.who = who_line(best, answer.matter, knowledge)
        elif best.list == "returned" and best.duty.departments and not best.duty.discontinued:
            # Under the alarm "（镇里不再负责）" reads as "not our business" to someone frightened
            # (black-box review); who takes it is what matters, and not the matter's other parts.
            answer.who = f"{lead(list(best.duty.departments))}负责"
        else:  # the answering item's part alone, not the matter's
            answer.who = who_line(best, None, knowledge)
        # The matter's other parts are not offered as related items either: a how-to question's other parts
        # are other business (the review that found 追缴 in 归谁管 found it again among the buttons, where it
        # had pushed out 困难老人养老服务补贴).
        in_matter = set(answer.matter.items) if answer.matter else {best.id}
        answer.alternatives = alternatives(result, in_matter | {best.id})
        town = best.list != "returned" or any(p.list != "returned" for p in (answer.matter.parts if answer.matter else ()))
        answer.contacts = contact_lines(_departments_named(best), knowledge, town, _town_walk_in(best, knowledge, cadre))
    else:
        answer.alternatives = alternatives(result, set())
    for m in answer.alternatives:
        if m.duty is not None:
            answer.shorts.setdefault(m.id, short_name(m.duty, knowledge))
    # Each other matter of the message is answered as if asked alone, under its own ask; it was
    # split off only because the decision was sure of it, so no "也可能相关" under it.
    answer.others = [replace(compose(replace(other, query=other.text), knowledge, duty_of, cadre), alternatives=[])
                     for other in result.others]
    # Where to go in the town is said once, under the first answer that needs it.
    said = any(c.walk_in and c.name == TOWN_CONTACT for c in answer.contacts)
    for other in answer.others:
        walk_ins = [c for c in other.contacts if c.walk_in and c.name == TOWN_CONTACT]
        if said:
            other.contacts = [c for c in other.contacts if c not in walk_ins]
        said = said or bool(walk_ins)
    answered_apart = {o.best.id for o in answer.others if o.best is not None}
    answer.alternatives = [m for m in answer.alternatives if m.id not in answered_apart]
    if answer.emergency is not None:  # someone in danger needs the number and one item, nothing to browse
        answer.alternatives = []
    return answer


__all__ = ["Knowledge", "compose", "Emergency"]
