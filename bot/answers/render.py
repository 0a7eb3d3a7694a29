"""Word search results for people: Telegram HTML, and plain text for the terminal.

Every piece of corpus or user text goes through html.escape; the only tags are ours.
"""
from __future__ import annotations

import html
import re

from bot.corpus.model import Duty
from bot.retrieval.searcher import Match, SearchResult, town_role

TITLE_LIMIT = 60
TELEGRAM_LIMIT = 4096
LIST_BADGE = {"basic": "🟢 基本履职事项", "coop": "🟡 配合履职事项", "returned": "🔵 上级部门收回事项"}
REPHRASE_HINT = "可以换个说法再问：说清是什么事、涉及谁、在哪里，例如“村里有人在河堤上盖棚子，归谁管？”"


def e(text: str) -> str:
    return html.escape(text, quote=False)


def shorten(text: str, limit: int = TITLE_LIMIT) -> str:
    """Cut a long item text at a clause boundary before `limit` characters (no trailing 。)."""
    text = text.rstrip("。；;")
    if len(text) <= limit:
        return text
    cut = max(text.rfind(sep, 0, limit) for sep in "，；。、")
    return (text[:cut] if cut >= limit // 2 else text[:limit]).rstrip("，；。、") + "…"


def _clean_point(text: str) -> str:
    return text.rstrip("。；;")


def _how_they_work(duty: Duty) -> str:
    """For a returned item: the receiving department's first working-method point
    (often says which office takes the case, e.g. 由公安派出所受理…)."""
    for section in duty.department_duties:
        if section.duties:
            return shorten(_clean_point(section.duties[0]), 90)
    return ""


def match_lines(m: Match) -> list[str]:
    """The body of one answer: classification, department(s), the town's role and what matched."""
    duty = m.duty
    lines = [
        f"<b>{e(shorten(m.title))}</b>",
        f"分类：{LIST_BADGE[m.list]} · {e(m.category)}",
        f"本镇角色：<b>{e(m.town_role)}</b>",
    ]
    if m.list == "coop":
        depts = m.departments
        shown = "、".join(depts[:4]) + (f" 等{len(depts)}个部门" if len(depts) > 4 else "")
        lines.append(f"牵头部门：{e(shown)}")
        if m.department_led:
            lines.append(f"与问题最相关的部门：{e(m.matched_department)}")
        if m.town_points:
            lines.append("本镇要做的：")
            lines += [f"• {e(shorten(_clean_point(p), 90))}" for p in m.town_points]
    elif m.list == "returned" and duty is not None:
        if duty.discontinued:
            lines.append(f"说明：{e(duty.remark)}")
        else:
            lines.append(f"现在找谁：<b>{e('、'.join(m.departments))}</b>")
            how = _how_they_work(duty)
            if how:
                lines.append(f"承接部门的做法：{e(how)}")
    # A pure penalty item's title is the clause itself: don't print it twice.
    if m.matched_kind == "penalty" and _clean_point(m.matched) != _clean_point(m.title):
        label = "处罚事项（本镇实施）" if m.list == "basic" else "处罚事项"
        lines.append(f"{label}：{e(shorten(m.matched, 90))}")
    return lines


def format_answer(result: SearchResult, buttons: bool = True) -> str:
    """The reply to a question, in Telegram HTML; without buttons the alternatives are listed."""
    if result.note == "empty" or not result.matches:
        return "请用文字描述您要问的事，例如：“村里有人在河堤上盖棚子，归谁管？”"
    parts: list[str] = []
    if result.note == "truncated":
        parts.append("<i>问题较长，只按前面一部分查找。</i>")
    if result.answered:
        parts.append("\n".join(match_lines(result.matches[0])))
        others = result.matches[1:4]
        if others and buttons:
            parts.append("其他可能相关的事项见下方按钮。")
        elif others:
            parts.append("其他可能相关：\n" + "\n".join(f"• {e(shorten(m.title, 40))}" for m in others))
    else:
        closest = "\n".join(f"{i}. {e(shorten(m.title, 40))}" for i, m in enumerate(result.matches[:3], 1))
        parts.append("😕 清单里没有找到与这个问题对应的事项。")
        parts.append(f"最接近的几项：\n{closest}")
        parts.append(e(REPHRASE_HINT))
    return "\n\n".join(parts)


def format_duty_card(duty: Duty) -> str:
    """The short card of an item picked from a button, where there is no question to relate it to."""
    penalty = duty.list == "basic" and bool(duty.penalties)
    card = Match(
        id=duty.id, score=0.0, list=duty.list, category=duty.category, title=duty.display_title,
        departments=list(duty.departments), town_role=town_role(duty, penalty=penalty),
        matched=duty.display_title, matched_kind="title",
        town_points=duty.town_duties[:2] if duty.list == "coop" else [], duty=duty,
    )
    return "\n".join(match_lines(card))


def format_duty_detail(duty: Duty) -> str:
    """An item in full: upper-department duties, town duties, support, penalties."""
    parts = [
        f"<b>{e(duty.display_title)}</b>\n分类：{LIST_BADGE[duty.list]} · {e(duty.category)}（{e(duty.id)}）"
    ]
    if duty.list == "basic":
        parts.append("本镇角色：<b>本镇负责</b>")
        if duty.town_duties:
            parts.append("本镇职责：\n" + "\n".join(f"• {e(_clean_point(p))}" for p in duty.town_duties))
    for section in duty.department_duties:
        head = "、".join(section.departments)
        label = "承接部门" if duty.list == "returned" else "上级部门"
        block = [f"<b>{label}：{e(head)}</b>"]
        block += [f"{i}. {e(_clean_point(p))}" for i, p in enumerate(section.duties, 1)]
        if section.support:
            block.append("履职保障：" + "；".join(e(_clean_point(p)) for p in section.support))
        parts.append("\n".join(block))
    if duty.list == "coop" and duty.town_duties:
        parts.append("<b>本镇配合职责：</b>\n" + "\n".join(
            f"{i}. {e(_clean_point(p))}" for i, p in enumerate(duty.town_duties, 1)))
    if duty.list == "returned":
        parts.append("本镇角色：<b>" + ("该事项已停止办理" if duty.discontinued else "本镇不再负责") + "</b>")
        if duty.remark:
            parts.append(f"说明：{e(duty.remark)}")
    if duty.penalties:
        parts.append("处罚事项：\n" + "\n".join(f"• {e(p)}" for p in duty.penalties))
    return "\n\n".join(parts)


def split_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split at paragraph (then line) boundaries so no chunk exceeds the limit or cuts a tag.

    Our tags never span lines, so any line boundary is a safe cut.
    """
    if len(text) <= limit:
        return [text]
    chunks: list[str] = []
    current = ""
    for para in text.split("\n\n"):
        pieces = [para] if len(para) <= limit else _split_lines(para, limit)
        for piece in pieces:
            candidate = f"{current}\n\n{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
            else:
                if current:
                    chunks.append(current)
                current = piece
    if current:
        chunks.append(current)
    return chunks


def _split_lines(para: str, limit: int) -> list[str]:
    out, current = [], ""
    for line in para.split("\n"):
        while len(line) > limit:  # a single over-long line: cut outside any tag
            cut = _safe_cut(line, limit)
            out.append(line[:cut])
            line = line[cut:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= limit:
            current = candidate
        else:
            out.append(current)
            current = line
    if current:
        out.append(current)
    return out


def _safe_cut(line: str, limit: int) -> int:
    cut = limit
    # Never cut inside a tag or an entity; back off to before it.
    open_tag, amp = line.rfind("<", 0, cut), line.rfind("&", 0, cut)
    if open_tag > line.rfind(">", 0, cut):
        cut = open_tag
    if amp > line.rfind(";", 0, cut):
        cut = min(cut, amp)
    return max(cut, 1)


def to_plain(text: str) -> str:
    """Telegram HTML -> terminal text."""
    return html.unescape(re.sub(r"</?(b|i|code|a)[^>]*>", "", text))
