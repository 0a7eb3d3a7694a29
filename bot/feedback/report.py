"""Figures and exports from the question log, shared by /stats, /unanswered and scripts/report.py."""
from __future__ import annotations

import argparse
import csv
import html
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from bot.feedback.question_log import LoggedQuestion, QuestionLog, Stats
from bot.settings import Settings

# Columns of the CSV admins open in Excel; the last one is for them to fill in
# (the id of the item that answers the question) before scripts/learn.py --csv.
CSV_COLUMNS = ["编号", "时间", "问题", "是否找到", "显示的事项", "点开的事项", "反馈", "用户指出的正确事项", "确认事项id"]
FEEDBACK_WORDS = {"up": "👍", "down": "👎", None: ""}


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date like 2026-11-30, got {text!r}") from None


def add_log_arguments(parser: argparse.ArgumentParser, default_days: int, from_help: str) -> None:
    """--from/--to/--log, as scripts/report.py and scripts/learn.py take them."""
    today = datetime.now(UTC).date()
    parser.add_argument("--from", dest="start", type=parse_day, default=today - timedelta(days=default_days - 1),
                        help=f"{from_help}, YYYY-MM-DD (default: the last {default_days} days)")
    parser.add_argument("--to", dest="end", type=parse_day, default=today, help="last day, inclusive (default: today)")
    parser.add_argument("--log", type=Path, help="question log file (default: QUESTION_LOG_PATH)")


def day_range(args: argparse.Namespace) -> tuple[datetime, datetime]:
    """[start of --from, start of the day after --to)."""
    return day_start(args.start), day_start(args.end + timedelta(days=1))


def open_existing_log(args: argparse.Namespace, settings: Settings) -> QuestionLog | None:
    """The question log named by --log or the settings; None (after saying so) when there is none."""
    path = args.log or settings.question_log_path
    if not path.exists():
        print(f"error: no question log at {path}", file=sys.stderr)
        return None
    return QuestionLog(path, settings.log_salt, settings.log_retention_days)


def stats_text(qlog: QuestionLog, titles: dict[str, str], now: datetime | None = None) -> str:
    """The /stats reply (Telegram HTML)."""
    now = now or datetime.now(UTC)
    today = qlog.stats(day_start(now.date()), now + timedelta(seconds=1))
    week = qlog.stats(now - timedelta(days=7), now + timedelta(seconds=1))

    def block(label: str, s: Stats) -> str:
        return (f"<b>{label}</b>：提问 {s.questions} 次，答到清单事项 {s.answered_rate:.0%}"
                f"（被用户纠正的不算），指路清单外 {s.referred} 次，"
                f"👍 {s.feedback_up} / 👎 {s.feedback_down}（👎 占 {s.down_rate:.0%}）")

    lines = ["📊 使用统计", block("今天", today), block("近 7 天", week)]
    if week.top_items:
        lines.append("近 7 天问得最多的事项：")
        lines += [f"{i}. {html.escape(titles.get(item, item)[:30])}（{n} 次）"
                  for i, (item, n) in enumerate(week.top_items, 1)]
    return "\n".join(lines)


def problems_text(qlog: QuestionLog, titles: dict[str, str] | None = None, limit: int = 15,
                  now: datetime | None = None) -> str:
    """The /unanswered reply: recent not-found and 👎 questions, what was shown and what the user chose."""
    now = now or datetime.now(UTC)
    titles = titles or {}
    rows = qlog.problems(now - timedelta(days=30), now + timedelta(seconds=1), limit=limit)
    if not rows:
        return "近 30 天没有未找到或被点 👎 的问题。"
    lines = [f"近 30 天未找到或被点 👎 的问题（最近 {len(rows)} 条）："]
    for r in rows:
        mark = "👎" if r.feedback == "down" else ("清单外" if r.kind == "referral" else "未找到")
        line = f"• [{mark}] {html.escape(r.question[:60])}（{r.asked_at[:10]}）"
        if r.answered and r.shown:
            line += f"\n  答的是：{html.escape(titles.get(r.shown[0], r.shown[0]))}"
        if r.corrected:
            chosen = "都不对" if r.corrected == "none" else titles.get(r.corrected, r.corrected)
            line += f"\n  用户选了：{html.escape(chosen)}"
        lines.append(line)
    return "\n".join(lines)


def write_problems_csv(rows: list[LoggedQuestion], path: Path) -> None:
    # utf-8-sig: the BOM makes Excel open the Chinese text correctly.
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_COLUMNS)
        for r in rows:
            writer.writerow([
                r.id, r.asked_at, r.question, "是" if r.answered else "否", " ".join(r.shown[:3]),
                r.tapped or "", FEEDBACK_WORDS.get(r.feedback, ""),
                "" if r.corrected in (None, "none") else r.corrected, "",
            ])
