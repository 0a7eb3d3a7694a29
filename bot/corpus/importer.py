"""Parse the published duty list (extracted text, tab-separated cells) into Duty records.

The source is a PDF-to-text extraction with page-break artefacts: repeated header
rows, items split across pages into several rows, HTML fragments inside cells.
Every oddity handled here is documented in corpus/README.md.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from bot.corpus.model import DepartmentSection, Duty, make_id

LIST_TITLE = re.compile(r"^内蒙古.*?(基本履职事项|配合履职事项|上级部门收回事项)清单（(\d+)项）\s*$")
LIST_KEYS = {"基本履职事项": "basic", "配合履职事项": "coop", "上级部门收回事项": "returned"}
CELLS = {"basic": 2, "coop": 5, "returned": 3}
HEADING = re.compile(r"^([一二三四五六七八九十]+)、(.+?)（(\d+)项）$")
NUMBER = re.compile(r"^\d+$")
TAG = re.compile(r"<[^>]+>")
# A department heading inside a coop cell: "市水利局、市公安局主要职责：" or a bare "主要职责：".
DEPT_HEADING = re.compile(r"((?:[^\s：。；，]+?、)*[^\s：。；，]*?)主要职责：")
SUPPORT = "履职保障："
NUMBERED_POINT = re.compile(r"(?:^|\s)\d{1,2}[.．、]\s*")
ENDED = "不再开展此项工作"

# Corrections of extraction errors, applied to every cell (listed in corpus/README.md).
CORRECTIONS = [
    (" and ", "和"),
    # coop-008: the first of its two rows prints town point 2 without "存"; the
    # continuation row prints it correctly. Unfixed, the merged item lists it twice.
    ("对发现的在安全隐患", "对发现的存在安全隐患"),
]
# Some rows were typed with ASCII punctuation; the splitters expect the full-width forms.
HALF_WIDTH = [(re.compile(r"(?<=[\u4e00-\u9fff）)])\s*" + re.escape(a) + r"\s*"), b) for a, b in ((",", "，"), (":", "："), (";", "；"))]


class SourceError(ValueError):
    """The source does not parse; the message names the line and what was expected."""

    def __init__(self, lineno: int, message: str):
        super().__init__(f"line {lineno}: {message}")
        self.lineno = lineno


@dataclass
class _Row:
    lineno: int
    cells: list[str]


@dataclass
class _Section:
    lineno: int
    category: str
    expected: int
    numbers: list[int] = field(default_factory=list)


def clean(text: str) -> str:
    """Drop HTML tags and fold whitespace; fix known extraction slips."""
    for wrong, right in CORRECTIONS:
        text = text.replace(wrong, right)
    for pattern, right in HALF_WIDTH:
        text = pattern.sub(right, text)
    text = TAG.sub(" ", text)
    return re.sub(r"\s+", " ", text).strip()


def split_points(text: str) -> list[str]:
    """Split a cell body into its points, numbered ("1. …") or not ("…。 …")."""
    text = text.strip()
    if not text:
        return []
    if NUMBERED_POINT.match(text):
        parts = NUMBERED_POINT.split(text)
    else:
        # Unnumbered lists separate points by a sentence end plus a space.
        parts = re.split(r"(?<=。)\s+", text)
    return [p.strip() for p in parts if p.strip()]


def split_departments(text: str) -> list[str]:
    return [d.strip() for d in clean(text).split("、") if d.strip()]


def parse_sections(cell: str, default_departments: list[str]) -> list[DepartmentSection]:
    """Split an upper-department cell into one section per "…主要职责：" heading."""
    text = clean(cell)
    heads = list(DEPT_HEADING.finditer(text))
    if not heads:
        heads_text = [("", text)]
    else:
        heads_text = []
        for i, m in enumerate(heads):
            end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
            heads_text.append((m.group(1), text[m.end():end]))
    sections = []
    for names, body in heads_text:
        departments = [d for d in names.split("、") if d] or list(default_departments)
        duty_text, _, support_text = body.partition(SUPPORT)
        sections.append(DepartmentSection(departments, split_points(duty_text), split_points(support_text)))
    return sections


def parse_returned_section(cell: str, lineno: int) -> tuple[list[str], list[DepartmentSection], bool, str]:
    text = clean(cell)
    if ENDED in text:
        return [], [], True, text
    name, sep, body = text.partition("：")
    if not sep or not name or len(name) > 40:
        raise SourceError(lineno, "expected '承接部门：工作方式' or '不再开展此项工作'")
    departments = [d for d in name.split("、") if d]
    return departments, [DepartmentSection(departments, split_points(body), [])], False, ""


def split_basic(title: str) -> tuple[list[str], list[str]]:
    """Basic item text -> (town duties split at "；", penalty clauses marked "*")."""
    head, *penalties = title.split("*")
    duties = [d.strip(" ；;。") for d in head.split("；") if d.strip(" ；;。")]
    penalties = [p.strip(" ；;。") for p in penalties if p.strip(" ；;。")]
    return duties, penalties


def _dedupe(items: list[str]) -> list[str]:
    seen, out = set(), []
    for it in items:
        key = re.sub(r"\s+", "", it)
        if key not in seen:
            seen.add(key)
            out.append(it)
    return out


def _merge(into: Duty, other: Duty) -> None:
    """Merge a continuation row (same number, after a page break) into its item."""
    into.town_duties = _dedupe(into.town_duties + other.town_duties)
    into.penalties = _dedupe(into.penalties + other.penalties)
    into.departments = _dedupe(into.departments + other.departments)
    for section in other.department_duties:
        twin = next((s for s in into.department_duties if s.departments == section.departments), None)
        if twin is None:
            into.department_duties.append(section)
        else:
            twin.duties = _dedupe(twin.duties + section.duties)
            twin.support = _dedupe(twin.support + section.support)


def _build(list_key: str, number: int, category: str, cells: list[str], lineno: int) -> Duty:
    title = clean(cells[1])
    if not title:
        raise SourceError(lineno, "expected an item title in the second cell")
    duty = Duty(id=make_id(list_key, number), list=list_key, number=number, category=category, title=title)
    town_duties, duty.penalties = split_basic(title)
    if list_key == "basic":
        duty.town_duties = town_duties
    elif list_key == "coop":
        duty.departments = split_departments(cells[2])
        duty.department_duties = parse_sections(cells[3], duty.departments)
        duty.town_duties = split_points(clean(cells[4]))
    else:
        duty.departments, duty.department_duties, duty.discontinued, duty.remark = parse_returned_section(
            cells[2], lineno
        )
    return duty


def _close_section(section: _Section | None) -> None:
    if section and len(section.numbers) != section.expected:
        raise SourceError(
            section.lineno,
            f"heading '{section.category}（{section.expected}项）' announces {section.expected} items, "
            f"found {len(section.numbers)}",
        )


def parse_source(text: str) -> list[Duty]:
    duties: list[Duty] = []
    list_key: str | None = None
    list_expected = 0
    list_line = 0
    list_count = 0
    section: _Section | None = None
    last: Duty | None = None
    after_header = False

    def close_list() -> None:
        _close_section(section)
        if list_key and list_count != list_expected:
            raise SourceError(list_line, f"list announces {list_expected} items, found {list_count}")

    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        m = LIST_TITLE.match(line.strip())
        if m:
            close_list()
            list_key, list_expected, list_line, list_count = LIST_KEYS[m.group(1)], int(m.group(2)), lineno, 0
            section, last, after_header = None, None, False
            continue
        if list_key is None:
            continue  # cover page and table of contents
        cells = line.split("\t")
        first = cells[0].strip()
        if first == "序号":
            after_header = True  # page-break header row
            continue
        h = HEADING.match(first)
        if h:
            if any(c.strip() for c in cells[1:]):
                raise SourceError(lineno, "expected a heading row with empty cells after the heading")
            _close_section(section)
            section = _Section(lineno, h.group(2), int(h.group(3)))
            last, after_header = None, False
            continue
        if not NUMBER.match(first):
            raise SourceError(lineno, f"expected an item number, a heading or a header row, got {first[:30]!r}")
        if len(cells) != CELLS[list_key]:
            raise SourceError(lineno, f"expected {CELLS[list_key]} tab-separated cells, got {len(cells)}")
        if section is None:
            raise SourceError(lineno, "expected a section heading such as '一、党的建设（30项）' before the first item")
        number = int(first)
        duty = _build(list_key, number, section.category, cells, lineno)
        if last is not None and number == last.number:
            if not after_header or duty.title != last.title:
                raise SourceError(lineno, f"number {number} repeated (expected {number + 1})")
            _merge(last, duty)
        else:
            expected = duties[-1].number + 1 if duties and duties[-1].list == list_key else 1
            if number != expected:
                problem = "repeated" if number < expected else "out of sequence"
                raise SourceError(lineno, f"number {number} {problem} (expected {expected})")
            duties.append(duty)
            section.numbers.append(number)
            list_count += 1
            last = duty
        after_header = False
    close_list()
    found = {d.list for d in duties}
    missing = [k for k in CELLS if k not in found]
    if missing:
        raise SourceError(len(text.splitlines()), f"expected all three lists, missing: {', '.join(missing)}")
    return duties


def parse_file(path: Path) -> list[Duty]:
    return parse_source(path.read_text(encoding="utf-8"))
