"""Word search results for people: Telegram HTML, and plain text for the terminal.

Every piece of corpus or user text goes through html.escape; the only tags are ours.
"""
from __future__ import annotations

import html
import re
from collections.abc import Sequence

from bot.answers.answer import Answer
from bot.answers.compose import POLICE, TOWN_CONTACT, about_a_violation
from bot.answers.roles import who_part
from bot.answers.texts import (
    ALTERNATIVES_BELOW,
    ALTERNATIVES_NEAR,
    DANGER_NOT_ON_LIST,
    TOWN_FOR_CADRES,
    TOWN_FOR_CADRES_PLACE,
    TOWN_HOTLINE,
    TOWN_PLACE,
    TOWN_VILLAGE,
    TOWN_WALK_IN,
    UNSURE_ASK,
)
from bot.corpus.model import Duty
from bot.retrieval.searcher import Match

TITLE_LIMIT = 60
POINT_WIDTH = 60  # a duty point's first words on a phone
MIN_SHARED_BIGRAMS = 2  # a later clause of a duty is added when it shares this many character pairs with the question
ASK_LIMIT = 24  # an ask of a message that raised several matters, quoted above its answer
LIST_BADGE = {"basic": "🟢 基本履职事项", "coop": "🟡 配合履职事项", "returned": "🔵 上级部门收回事项"}
ASK_FOR_QUESTION = "请用文字描述您要问的事，例如：“村里有人在河堤上盖棚子，归谁管？”"
# How to browse the list, per channel: Telegram (and the terminal) by command, the web page by a link.
BROWSE_BY_COMMAND = "发送 /list 按类别浏览清单"
NOT_FOUND_HINT = ("可以换个说法再问（说清是什么事、涉及谁、在哪里），或{browse}；"
                  "拿不准找哪个部门，可拨打 12345 政务服务便民热线问询。")


def e(text: str) -> str:
    return html.escape(text, quote=False)


def shorten(text: str, limit: int = TITLE_LIMIT) -> str:
    """Cut a long item text at a clause boundary before `limit` characters (no trailing 。)."""
    text = text.rstrip("。；;")
    if len(text) <= limit:
        return text
    # Normalised asks carry ASCII punctuation ("…撤并,那十几个孩子…"): cut there too.
    cut = max(text.rfind(sep, 0, limit) for sep in "，；。、,;? ")
    return (text[:cut] if cut >= limit // 2 else text[:limit]).rstrip("，；。、,;? ") + "…"


def _clean_point(text: str) -> str:
    return text.rstrip("。；;")


def _bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)}


def excerpt(point: str, asked: str, width: int = POINT_WIDTH) -> str:
    """A long duty cut to `width`, and where the clause the question is about comes after the cut,
    that clause too ("…受理困难残疾人生活补贴、重度残疾人护理补贴申请" for "两项补贴咋申请"): the
    first words alone cut it off right before what was asked."""
    point = _clean_point(point)
    head = shorten(point, width)
    if head == point or not asked:
        return head
    shown = head.rstrip("…")
    wanted = _bigrams(asked)
    clauses = [c for c in re.split(r"[，；。]", point[len(shown):]) if c.strip("、 ")]
    best = max(clauses, key=lambda c: len(_bigrams(c) & wanted), default="")
    if len(_bigrams(best) & wanted) < MIN_SHARED_BIGRAMS:
        return head
    return f"{shown}…{shorten(best.strip('、 '), width)}…"


def _points(points: list[str], asked: str = "", limit: int = 3, width: int = POINT_WIDTH) -> list[str]:
    return [f"• {e(excerpt(p, asked, width))}" for p in points[:limit]]


DIALABLE = re.compile(r"[0-9][0-9-]{2,}")
NUMBER_IN_ADVICE = re.compile(r"(?<![0-9])[0-9]{3,}(?![0-9])")


def _number(number: str, dial: bool) -> str:
    """A phone number; a link that dials it where the channel can (the web page: a review found 119
    could not be tapped during a fire; Telegram takes no tel: links)."""
    shown = e(number)
    return f'<a href="tel:{shown}">{shown}</a>' if dial and DIALABLE.fullmatch(number) else shown


def _numbers_line(numbers: Sequence[str], dial: bool) -> list[str]:
    """A referral's numbers on one 📞 line; none without numbers."""
    return ["📞 " + " / ".join(_number(n, dial) for n in numbers)] if numbers else []


def _emergency_lines(answer: Answer, dial: bool = False) -> list[str]:
    em = answer.emergency
    if em is None:
        return []
    numbers = " / ".join(f"<b>{_number(n, dial)}</b>" for n in em.numbers)
    # The advice's own numbers dial too (12119 for a forest fire, 12356 after pesticide): its texts are
    # fixed (emergency_lines.py) and hold no other figures.
    advice = NUMBER_IN_ADVICE.sub(lambda m: _number(m.group(0), dial), e(em.text))
    return [f"🚨 <b>有危险先打电话：</b>{numbers}", advice]


def _contact_lines(answer: Answer, dial: bool = False) -> list[str]:
    """In the contacts' order (the town first): 📞 each office with a known number, 📍 where to go in the
    town without one; then the departments without a number together, with the hotline."""
    # In danger the emergency line is the number to call: a second, office-hours hotline under it
    # would only compete with it.
    lines = []
    for c in answer.contacts:
        if c.phone:
            lines.append(f"📞 {e(c.name)} {_number(c.phone, dial)}")
        elif c.walk_in and c.cadre and answer.emergency is None:
            lines.append(TOWN_FOR_CADRES.format(place=TOWN_FOR_CADRES_PLACE if c.name == TOWN_CONTACT else e(c.name)))
        elif c.walk_in and answer.emergency is None:
            place = TOWN_PLACE if c.name == TOWN_CONTACT else e(c.name)
            lines.append(TOWN_WALK_IN.format(place=place, village=TOWN_VILLAGE if c.village else "",
                                             hotline=TOWN_HOTLINE.format(number=_number(c.fallback, dial)) if c.fallback else "。"))
    if answer.emergency is not None:
        return lines
    unknown = [c for c in answer.contacts if not c.phone and c.fallback and not c.walk_in]
    police = [c for c in unknown if c.fallback == POLICE]
    if police:
        lines.append(f"📞 {e(police[0].name)}：报案打 {_number(POLICE, dial)}，办证办事到当地派出所")
    hotline = [c for c in unknown if c.fallback != POLICE]
    if hotline:
        names = "、".join(c.name for c in hotline[:2]) + ("等" if len(hotline) > 2 else "")
        # Not "the number is not filled in yet": that is the admins' business, and a review read it
        # under nearly every answer as noise on a phone screen.
        lines.append(f"📞 {e(names)}：可拨 {_number(hotline[0].fallback, dial)}（政务服务便民热线）问询转接")
    return lines


def _town_part(duty: Duty, m: Match | None, emergency: bool = False, asked: str = "") -> list[str]:
    """What the town must do for this item, in at most three points (`asked`: the question, whose
    clause of a long point is shown)."""
    if duty.list == "basic":
        points = duty.town_duties or [duty.display_title]
        return ["镇里要做：", *_points(points, asked)]
    if duty.list == "coop":
        points = (m.town_points if m is not None and m.town_points else duty.town_duties)
        return ["镇里配合：", *_points(points, asked)] if points else []
    if duty.discontinued:
        reason = _clean_point(duty.remark) or "不再开展此项工作"
        return [f"这项工作已停止办理（{e(reason)}）：不用再为此找镇里或市里申请。"]
    if emergency:  # "镇里不再办理" under an alarm reads as "not our business"
        return [f"这件事由<b>{e('、'.join(duty.departments))}</b>负责，有危险先打上面的电话。"]
    return [f"镇里不再办理，直接找<b>{e('、'.join(duty.departments))}</b>。"]


def _matter_lines(answer: Answer, duty_of) -> list[str]:
    """Each item of the matter: whose part it is, the town's first."""
    assert answer.matter is not None
    lines = [f"<b>{e(answer.matter.name)}</b>这件事分几块："]
    for part in answer.matter.parts:
        lines.append(f"{LIST_BADGE[part.list].split()[0]} {e(part.short)}：{e(part.who)}")
    return lines


def list_answer_lines(answer: Answer, duty_of, dial: bool = False) -> list[str]:
    best = answer.best
    assert best is not None and best.duty is not None
    duty = best.duty
    lines = [f"<b>归谁管：</b>{e(answer.who)}",
             f"{LIST_BADGE[duty.list].split()[0]} <b>{e(answer.short(duty.id, shorten(duty.display_title, 20)))}</b>"
             f" · {e(LIST_BADGE[duty.list].split()[1])} · {e(duty.category)}"]
    # The matter's parts, one per line, only where the 归谁管 line could not name them all: else the
    # block repeats that line (a black-box review read it as clutter).
    if (answer.matter is not None and answer.emergency is None and len({p.who for p in answer.matter.parts}) > 1
            and any(p.short not in answer.who for p in answer.matter.parts)):
        lines += _matter_lines(answer, duty_of)
    lines += _town_part(duty, best, answer.emergency is not None, answer.text)
    if best.penalty and about_a_violation(answer.text) and _clean_point(best.matched) != _clean_point(duty.display_title):
        lines.append(f"处罚事项：{e(shorten(best.matched, 90))}")
    lines += _contact_lines(answer, dial)
    return lines


def _body(answer: Answer, duty_of, browse: str, dial: bool = False) -> list[str]:
    """Who handles it: the list item, the referral, or "not found" (with a hint)."""
    if answer.kind == "list":
        return ["\n".join(list_answer_lines(answer, duty_of, dial=dial))]
    if answer.kind == "referral" and answer.referral is not None and answer.emergency is not None:
        # Under the alarm a referral is about the danger itself (the ambulance): what to do next, no
        # "一般做法，仅供参考" and no number already above (a review read them as cold boilerplate).
        ref = answer.referral
        lines = [f"<b>归谁管：</b>{DANGER_NOT_ON_LIST}", f"{e(ref.name)}：{e(ref.where)}"]
        lines += _numbers_line([n for n in ref.numbers if n not in answer.emergency.numbers], dial)
        return ["\n".join(lines)]
    if answer.kind == "referral" and answer.referral is not None:
        ref = answer.referral
        lines = [f"<b>归谁管：</b>这件事不在卧牛河镇履职事项清单里（{e(ref.name)}）。",
                 f"一般去：{e(ref.where)}"]
        lines += _numbers_line(ref.numbers, dial)
        lines.append("<i>以上是一般做法，仅供参考，具体以当地办理部门为准。</i>")
        return ["\n".join(lines)]
    if answer.emergency is not None:  # in danger, no advice to ask again: the line above is what to do
        return [f"<b>归谁管：</b>{DANGER_NOT_ON_LIST}"]
    return ["<b>归谁管：</b>卧牛河镇履职事项清单里没有找到对应的事项。", e(NOT_FOUND_HINT.format(browse=browse))]


def _another_ask(ask: str) -> str:
    """The heading of another matter of the message: its ask, quoted short."""
    return f"➕ <b>另外，{e(shorten(ask, ASK_LIMIT).rstrip('？?！!，,。 '))}：</b>\n"


def format_answer(answer: Answer, duty_of=None, buttons: bool = True, browse: str = BROWSE_BY_COMMAND,
                  dial: bool = False) -> str:
    """The reply to a question, in Telegram HTML; without buttons the alternatives are listed.

    `browse` tells how to browse the list where the channel has no /list command; `dial` makes phone
    numbers links that dial them (the web page).
    """
    if answer.kind == "empty":
        return ASK_FOR_QUESTION
    if answer.small_talk:
        return e(answer.small_talk)
    parts: list[str] = []
    emergency = _emergency_lines(answer, dial)
    if emergency:
        parts.append("\n".join(emergency))
    if answer.note == "truncated":
        parts.append(f"<i>消息较长，按这部分查找：{e(shorten(answer.text, 40))}</i>")
    parts += _body(answer, duty_of, browse, dial)
    if answer.alternatives:  # under the answer they are alternatives to, before any other matter's
        if buttons:
            parts.append(ALTERNATIVES_BELOW if answer.kind in ("list", "referral") else ALTERNATIVES_NEAR)
        else:
            parts.append("也可能相关：\n" + "\n".join(
                f"• {e(answer.short(m.id, shorten(m.title, 20)))}（{e(m.id)}）" for m in answer.alternatives))
    for other in answer.others:  # a message that raised several matters: each one's answer
        parts.append(_another_ask(other.question) + "\n\n".join(_body(other, duty_of, browse, dial)))
    for ask in answer.unsure_asks:  # a matter of its own the search could not pin down in company
        parts.append(_another_ask(ask) + UNSURE_ASK)
    return "\n\n".join(parts)


def format_duty_card(duty: Duty, short: str = "") -> str:
    """An item picked from a button or the list: whose job, and the town's part."""
    badge, list_name = LIST_BADGE[duty.list].split()
    return "\n".join([f"{badge} <b>{e(short or shorten(duty.display_title, 30))}</b> · {e(list_name)} · {e(duty.category)}",
                      f"<b>归谁管：</b>{e(who_part(duty))}", *_town_part(duty, None)])


def format_duty_detail(duty: Duty, short: str = "") -> str:
    """An item in full, the town's part first, then each department's."""
    parts = [f"<b>{e(short or shorten(duty.display_title, 30))}</b>\n{LIST_BADGE[duty.list]} · {e(duty.category)}（{e(duty.id)}）",
             f"<b>归谁管：</b>{e(who_part(duty))}",
             f"事项全文：{e(duty.display_title)}"]
    if duty.town_duties and duty.list != "returned":
        parts.append("<b>本镇职责：</b>\n" + "\n".join(
            f"{i}. {e(_clean_point(p))}" for i, p in enumerate(duty.town_duties, 1)))
    if duty.list == "returned":
        parts.append("本镇角色：<b>" + ("该事项已停止办理" if duty.discontinued else "本镇不再负责") + "</b>")
        if duty.remark:
            parts.append(f"说明：{e(duty.remark)}")
    for section in duty.department_duties:
        head = "、".join(section.departments)
        label = "承接部门" if duty.list == "returned" else "上级部门"
        block = [f"<b>{label}：{e(head)}</b>"]
        block += [f"{i}. {e(_clean_point(p))}" for i, p in enumerate(section.duties, 1)]
        if section.support:
            block.append("履职保障：" + "；".join(e(_clean_point(p)) for p in section.support))
        parts.append("\n".join(block))
    if duty.penalties:
        parts.append("处罚事项：\n" + "\n".join(f"• {e(p)}" for p in duty.penalties))
    return "\n\n".join(parts)


def to_plain(text: str) -> str:
    """Telegram HTML -> terminal text."""
    return html.unescape(re.sub(r"</?(b|i|code|a)[^>]*>", "", text))
