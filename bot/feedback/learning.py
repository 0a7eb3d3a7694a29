"""Turn confirmed question -> item pairs into example questions of the corpus."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from bot.corpus.model import iter_jsonl
from bot.corpus.questions import ExampleQuestion
from bot.feedback.question_log import ConfirmedPair
from bot.feedback.report import CSV_COLUMNS


@dataclass(frozen=True)
class Candidate:
    question: str
    item_id: str
    how: str


def from_pairs(pairs: list[ConfirmedPair]) -> list[Candidate]:
    return [Candidate(p.question, p.item_id, p.how) for p in pairs]


def from_csv(path: Path) -> list[Candidate]:
    """Rows of a report CSV whose last column (确认事项id) an admin filled in."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        missing = {CSV_COLUMNS[2], CSV_COLUMNS[-1]} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(sorted(missing))}; "
                             "use the CSV written by scripts/report.py --csv")
        return [Candidate(row[CSV_COLUMNS[2]].strip(), row[CSV_COLUMNS[-1]].strip(), "csv")
                for row in reader if row.get(CSV_COLUMNS[-1], "").strip() and row.get(CSV_COLUMNS[2], "").strip()]


def existing_questions(path: Path) -> set[tuple[str, str]]:
    if not path.exists():
        return set()
    return {(str(data.get("id")), str(data.get("q", "")).strip()) for _, data in iter_jsonl(path)}


def new_candidates(candidates: list[Candidate], known_ids: set[str], questions_path: Path) -> tuple[list[Candidate], list[str]]:
    """Drop duplicates and unknown ids; returns (usable, problems)."""
    seen = existing_questions(questions_path)
    usable, problems = [], []
    for c in candidates:
        key = (c.item_id, c.question.strip())
        if c.item_id not in known_ids:
            problems.append(f"unknown item id {c.item_id!r} for question {c.question!r}")
        elif key not in seen:
            seen.add(key)
            usable.append(c)
    return usable, problems


def append_questions(candidates: list[Candidate], questions_path: Path) -> int:
    with questions_path.open("a", encoding="utf-8") as f:
        for c in candidates:
            f.write(ExampleQuestion(c.item_id, c.question.strip(), "learned", "learned").to_json() + "\n")
    return len(candidates)
