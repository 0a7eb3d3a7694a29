"""The corpus as one Excel workbook, for admins: export it, edit it in Excel or WPS, import it.

Sheets (one per kind of data):

- 事项: one row per item of the list (duties.jsonl), plus its 简称 (short_names.tsv)
  and 所属事项 (the name of its matter in matters.jsonl);
- 示例问题: example questions (questions.jsonl), when the corpus has them; each points to
  an item (basic-001, …) or to an out-of-list referral (ref-…), as the index build allows;
- 联系方式: contacts (contacts.tsv), when the corpus has them;
- 清单外事项: out-of-list referrals (referrals.jsonl), when the corpus has them.

A cell holding several values (牵头部门, 本镇职责, 处罚条款, 电话, 示例问题) has one per
line. 部门职责 holds the department sections in a form that reads back exactly:

    【市民政局、市财政局】
    first duty point
    second duty point
    保障：a support point

Export followed by import gives the corpus files back byte for byte. (The workbook lists
matters and short names by item; imported into the corpus they came from they keep the
order of its files, into an empty folder they follow the rows.) Import checks the whole
workbook first (every problem names its sheet, row and column), writes every file to a
temporary file and reads it back with its loader, and only then replaces the corpus
files together; when anything is wrong nothing is written. A sheet or column the
workbook lacks leaves its file alone; an emptied one removes it (contacts.tsv keeps its
header). The corpus files the workbook does not hold (synonyms.tsv, emergency.jsonl,
decision.json, out_of_list.jsonl, source/) are never read, written or removed.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from bot.corpus.contacts import (
    Contact,
    contact_from_cells,
    load_contacts,
    write_contacts,
)
from bot.corpus.matters import Matter, load_matters, matter_from_record, write_matters
from bot.corpus.model import (
    LIST_NAMES,
    CorpusError,
    DepartmentSection,
    Duty,
    FieldError,
    duty_from_record,
    iter_jsonl,
    iter_lines,
    load_duties,
    make_id,
    write_duties,
)
from bot.corpus.questions import (
    ExampleQuestion,
    load_questions,
    parse_source,
    write_questions,
)
from bot.corpus.referrals import (
    Referral,
    load_referrals,
    referral_from_record,
    write_referrals,
)
from bot.corpus.short_names import check_short_name, load_short_names, write_short_names

ITEMS, QUESTIONS, CONTACTS, REFERRALS = "事项", "示例问题", "联系方式", "清单外事项"

LIST_KEYS = {name: key for key, name in LIST_NAMES.items()}
YES, NO = "是", "否"
SUPPORT_PREFIXES = ("保障：", "保障:")
SOURCE_LABELS = {"list": "清单", "life": "生活", "learned": "使用"}
STYLE_LABELS = {"scenario": "情景", "colloquial": "口语", "keyword": "关键词", "indirect": "间接", "learned": "学到"}
MAX_PROBLEMS = 30


@dataclass(frozen=True)
class Column:
    name: str
    width: float
    wrap: bool = False
    text: bool = False  # stored as text, so Excel keeps "0470…" and "001" as typed
    note: str = ""
    required: bool = True


ITEM_COLUMNS = (
    Column("编号", 13, text=True, note="basic-序号 / coop-序号 / returned-序号，序号补足三位，如 basic-001；须与清单、序号一致。"),
    Column("清单", 15, note="基本履职事项、配合履职事项或上级部门收回事项。"),
    Column("序号", 6, note="在本清单内的序号（整数）。"),
    Column("类别", 10),
    Column("事项名称", 42, wrap=True, note="照清单原文；带 * 的是处罚条款。"),
    Column("简称", 16, text=True, note="按钮上显示的简称，不超过 12 个字，不可重复；可留空。", required=False),
    Column("牵头部门", 20, wrap=True, note="每行一个部门。"),
    Column("部门职责", 60, wrap=True, note="每个部门一段：先写一行【部门名称】（几个部门用、隔开），"
                                         "下面每行一条职责；履职保障写成“保障：……”。"),
    Column("本镇职责", 45, wrap=True, note="每行一条。"),
    Column("处罚条款", 40, wrap=True, note="每行一条。"),
    Column("已停止", 7, note="是：已不再开展此项工作；否：仍在开展。"),
    Column("备注", 22, wrap=True),
    Column("所属事项", 16, note="同属一件事的几个事项填同一个名称（至少两个事项）；可留空。", required=False),
)
QUESTION_COLUMNS = (
    Column("编号", 16, text=True, note="问题要找到的事项编号（如 basic-001）或清单外事项编号（ref-…）。"),
    Column("问题", 60, wrap=True, note="一行一个问题，照工作人员实际会怎么问来写。"),
    Column("来源", 8, note="清单：照清单写的；生活：照实际遇到的事写的；使用：机器人使用中学到的。留空算“清单”。"),
    Column("问法", 9, note="情景、口语、关键词、间接、学到；可留空。"),
)
CONTACT_COLUMNS = (
    Column("名称", 30, wrap=True),
    Column("电话", 18, wrap=True, text=True, note="只写数字、-、空格、+ 和括号；可留空。"),
    Column("地址", 28, wrap=True),
    Column("办公时间", 22, wrap=True),
    Column("备注", 60, wrap=True),
)
REFERRAL_COLUMNS = (
    Column("编号", 24, text=True, note="ref- 加小写字母、数字或 -，如 ref-passport；不可重复。"),
    Column("名称", 16, note="不超过 12 个字。"),
    Column("去哪里办", 40, wrap=True),
    Column("电话", 14, wrap=True, text=True, note="每行一个号码，只写数字。"),
    Column("示例问题", 50, wrap=True, note="每行一个问题。"),
)
SHEETS = {ITEMS: ITEM_COLUMNS, QUESTIONS: QUESTION_COLUMNS, CONTACTS: CONTACT_COLUMNS, REFERRALS: REFERRAL_COLUMNS}
LANDSCAPE = {ITEMS, CONTACTS, REFERRALS}
ITEM_FIELDS = {"id": "编号", "list": "清单", "number": "序号", "category": "类别", "title": "事项名称", "": "编号"}
REFERRAL_FIELDS = {"id": "编号", "name": "名称", "where": "去哪里办", "numbers": "电话", "questions": "示例问题"}
CONTACT_FIELDS = {"name": "名称", "phone": "电话", "address": "地址", "hours": "办公时间", "note": "备注"}


# --------------------------------------------------------------------------- corpus files


@dataclass(frozen=True)
class CorpusFiles:
    """Where each corpus file lives (contacts may be elsewhere: the CONTACTS_PATH setting)."""

    duties: Path
    questions: Path
    contacts: Path
    referrals: Path
    short_names: Path
    matters: Path

    @classmethod
    def in_dir(cls, corpus_dir: Path) -> CorpusFiles:
        return cls(corpus_dir / "duties.jsonl", corpus_dir / "questions.jsonl", corpus_dir / "contacts.tsv",
                   corpus_dir / "referrals.jsonl", corpus_dir / "short_names.tsv", corpus_dir / "matters.jsonl")

    @classmethod
    def from_settings(cls, settings) -> CorpusFiles:
        return cls(settings.duties_path, settings.questions_path, settings.contacts_path,
                   settings.referrals_path, settings.short_names_path, settings.matters_path)


@dataclass
class Knowledge:
    """Everything the workbook holds. None: no such file (export) / no such sheet or column (import)."""

    duties: list[Duty]
    short_names: dict[str, str] | None = None
    matters: list[Matter] | None = None
    questions: list[ExampleQuestion] | None = None
    contacts: list[Contact] | None = None
    referrals: list[Referral] | None = None


def read_corpus(files: CorpusFiles) -> Knowledge:
    """Load and validate every corpus file there is (CorpusError names file:line)."""
    duties = load_duties(files.duties)
    ids = {d.id for d in duties}
    referrals = load_referrals(files.referrals) if files.referrals.exists() else None
    return Knowledge(
        duties=duties,
        short_names=load_short_names(files.short_names, ids) if files.short_names.exists() else None,
        matters=load_matters(files.matters, ids) if files.matters.exists() else None,
        questions=(load_questions(files.questions, ids | {r.id for r in referrals or []})
                   if files.questions.exists() else None),
        contacts=load_contacts(files.contacts) if files.contacts.exists() else None,
        referrals=referrals,
    )


# --------------------------------------------------------------------------- 部门职责 as text


def format_sections(sections: list[DepartmentSection]) -> str:
    lines = []
    for section in sections:
        lines.append("【" + "、".join(section.departments) + "】")
        lines += section.duties
        lines += [SUPPORT_PREFIXES[0] + point for point in section.support]
    return "\n".join(lines)


def _is_heading(line: str) -> bool:
    return line.startswith("【") and line.endswith("】")


def parse_sections(text: str) -> list[DepartmentSection]:
    """The 部门职责 cell back into sections; ValueError names the line of the cell."""
    sections: list[DepartmentSection] = []
    for n, line in enumerate(text.split("\n"), 1):
        line = line.strip()
        if not line:
            continue
        if _is_heading(line):
            names = [name.strip() for name in line[1:-1].split("、")]
            if not all(names):
                raise ValueError(f"line {n}: expected department names separated by 、 inside 【】, got {line!r}")
            sections.append(DepartmentSection(names))
        elif not sections:
            raise ValueError(f"line {n}: expected a line 【部门名称】 before the first duty, got {line[:20]!r}")
        elif line.startswith(SUPPORT_PREFIXES):
            point = line[len(SUPPORT_PREFIXES[0]):].strip()
            if not point:
                raise ValueError(f"line {n}: expected a support point after '保障：'")
            sections[-1].support.append(point)
        else:
            sections[-1].duties.append(line)
    return sections


# --------------------------------------------------------------------------- export


def _exportable(value: str, where: str, *, entry: bool = False, one_line: bool = True) -> str:
    """A text the workbook gives back unchanged: no surrounding spaces, no line break in a line."""
    lines = value.split("\n")
    if (value != value.strip() or "\r" in value or (one_line and len(lines) > 1) or (entry and not value)
            or any(line != line.rstrip() for line in lines)):
        raise CorpusError(f"{where}: {value!r} cannot be written to the workbook unchanged "
                          "(it is empty, has spaces around it or a line break); fix the corpus file first")
    if ILLEGAL_CHARACTERS_RE.search(value):
        raise CorpusError(f"{where}: {value!r} holds a control character a workbook cannot store")
    return value


def _lines(values: Iterable[str], where: str) -> str:
    return "\n".join(_exportable(v, where, entry=True) for v in values)


def _label(value: str, labels: dict[str, str], where: str) -> str:
    """A stored code as its Chinese label; a value that is itself a label would not read back."""
    if value in labels:
        return labels[value]
    if value in labels.values():
        raise CorpusError(f"{where}: {value!r} cannot be written to the workbook unchanged (it reads back as "
                          f"{next(k for k, v in labels.items() if v == value)!r})")
    return _exportable(value, where)


def _item_row(duty: Duty, short: str, matter: str) -> list:
    where = f"duties.jsonl {duty.id}"
    for section in duty.department_duties:
        if not section.departments:
            raise CorpusError(f"{where}: a department section without departments cannot be written to the workbook")
        for name in section.departments:
            _exportable(name, f"{where} department_duties", entry=True)
            if "、" in name or "【" in name or "】" in name:
                raise CorpusError(f"{where}: department {name!r} cannot be written to the workbook unchanged")
        for point in section.duties + section.support:
            _exportable(point, f"{where} department_duties", entry=True)
        for point in section.duties:
            if _is_heading(point) or point.startswith(SUPPORT_PREFIXES):
                raise CorpusError(f"{where}: duty point {point!r} would read back as a heading or a support point")
    return [
        _exportable(duty.id, where), LIST_NAMES[duty.list], duty.number, _exportable(duty.category, where),
        _exportable(duty.title, where), short, _lines(duty.departments, f"{where} departments"),
        format_sections(duty.department_duties), _lines(duty.town_duties, f"{where} town_duties"),
        _lines(duty.penalties, f"{where} penalties"), YES if duty.discontinued else NO,
        _exportable(duty.remark, f"{where} remark", one_line=False), matter,
    ]


def _fill_sheet(ws: Worksheet, columns: tuple[Column, ...], rows: list[list]) -> None:
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    header_border = Border(bottom=Side(style="thin"))
    ws.append([c.name for c in columns])
    for col, column in enumerate(columns, 1):
        cell = ws.cell(1, col)
        cell.font, cell.fill, cell.border = header_font, header_fill, header_border
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        if column.note:
            cell.comment = Comment(column.note, "职责通", width=260, height=110)
        dim = ws.column_dimensions[get_column_letter(col)]
        dim.width = column.width
        if column.text:
            dim.number_format = "@"
    for row in rows:
        ws.append([v if v != "" else None for v in row])
    alignments = [Alignment(vertical="top", wrap_text=c.wrap) for c in columns]
    for cells in ws.iter_rows(min_row=2):
        for cell, column, alignment in zip(cells, columns, alignments):
            cell.alignment = alignment
            if column.text:
                cell.number_format = "@"
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text that looks like a formula stays text
    ws.freeze_panes = "B2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(ws.max_row, 2)}"
    ws.print_title_rows = "1:1"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if ws.title in LANDSCAPE else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.center.text = "&A　第 &P 页，共 &N 页"


def _choices(ws: Worksheet, columns: tuple[Column, ...], name: str, values: Iterable[str]) -> None:
    letter = get_column_letter(next(i for i, c in enumerate(columns, 1) if c.name == name))
    dv = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True)
    dv.error, dv.errorTitle = "请从下拉列表中选择", name
    ws.add_data_validation(dv)
    dv.add(f"{letter}2:{letter}1048576")


def write_workbook(knowledge: Knowledge, path: Path) -> None:
    """Write the workbook (CorpusError when a corpus value cannot be written back unchanged)."""
    short_names = knowledge.short_names or {}
    matter_of = {item: m.name for m in knowledge.matters or [] for item in m.items}
    wb = Workbook()
    wb.properties.title = "卧牛河镇履行职责事项清单"
    wb.properties.creator = "职责通"
    ws = wb.active
    ws.title = ITEMS
    _fill_sheet(ws, ITEM_COLUMNS, [_item_row(d, short_names.get(d.id, ""), matter_of.get(d.id, ""))
                                   for d in knowledge.duties])
    _choices(ws, ITEM_COLUMNS, "清单", LIST_NAMES.values())
    _choices(ws, ITEM_COLUMNS, "已停止", (YES, NO))
    if knowledge.questions is not None:
        ws = wb.create_sheet(QUESTIONS)
        _fill_sheet(ws, QUESTION_COLUMNS, [
            [q.id, _exportable(q.q, f"questions.jsonl {q.id}"), SOURCE_LABELS[q.source],
             _label(q.style, STYLE_LABELS, f"questions.jsonl {q.id} style")] for q in knowledge.questions])
        _choices(ws, QUESTION_COLUMNS, "来源", SOURCE_LABELS.values())
    if knowledge.contacts is not None:
        ws = wb.create_sheet(CONTACTS)
        _fill_sheet(ws, CONTACT_COLUMNS, [
            [_exportable(v, f"contacts.tsv {c.name}") for v in (c.name, c.phone, c.address, c.hours, c.note)]
            for c in knowledge.contacts])
    if knowledge.referrals is not None:
        ws = wb.create_sheet(REFERRALS)
        _fill_sheet(ws, REFERRAL_COLUMNS, [
            [r.id, _exportable(r.name, f"referrals.jsonl {r.id}"), _exportable(r.where, f"referrals.jsonl {r.id}"),
             _lines(r.numbers, f"referrals.jsonl {r.id}"), _lines(r.questions, f"referrals.jsonl {r.id}")]
            for r in knowledge.referrals])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        wb.save(tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


# --------------------------------------------------------------------------- import


class WorkbookError(ValueError):
    """The workbook cannot be imported; `problems` lists each one (sheet, row, column, what was expected)."""

    def __init__(self, path: Path, problems: list[str]):
        self.path = path
        self.problems = problems
        if len(problems) == 1:
            text = f"{path}: {problems[0]}"
        else:
            shown = problems[:MAX_PROBLEMS]
            more = f"\n  … and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
            text = f"{path}: {len(problems)} problems:\n  " + "\n  ".join(shown) + more
        super().__init__(text)


class _Skip(Exception):
    """A problem in a cell was recorded; skip the rest of the row."""


@dataclass
class _Sheet:
    """One sheet's header and rows, with the problems found reading it."""

    name: str
    columns: dict[str, int]  # header -> column number
    rows: list[tuple[int, dict[str, object]]]  # (row number, header -> cell value)
    problems: list[str]

    def where(self, row: int, column: str | None = None) -> str:
        if column is None:
            return f"sheet {self.name}, row {row}"
        return f"sheet {self.name}, row {row}, column {column} ({get_column_letter(self.columns[column])})"

    def fail(self, row: int, column: str | None, message: str) -> _Skip:
        self.problems.append(f"{self.where(row, column)}: {message}")
        return _Skip()

    def text(self, row: int, cells: dict, column: str, *, one_line: bool = True, required: bool = False) -> str:
        value = _cell_text(cells.get(column))
        if value is None:
            raise self.fail(row, column, "expected text, got a formula (type the text itself)")
        if one_line and "\n" in value:
            raise self.fail(row, column, f"expected one line, got {value.count(chr(10)) + 1} lines")
        if required and not value:
            raise self.fail(row, column, "expected a value, got an empty cell")
        return value

    def lines(self, row: int, cells: dict, column: str) -> list[str]:
        return [line.strip() for line in self.text(row, cells, column, one_line=False).split("\n") if line.strip()]


FORMULA = object()


def _cell_text(value: object) -> str | None:
    """A cell as text, tolerant of what Excel and WPS store: numbers (1.0), times, spaces, "\\r\\n"."""
    if value is None:
        return ""
    if value is FORMULA:
        return None
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.date() if value.time() == dt.time() else value
    if isinstance(value, dt.time):
        return f"{value.hour}:{value.minute:02d}"
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


SAVE_AS_XLSX = "open it in Excel or WPS and save it as Excel 工作簿 (*.xlsx)"


def _open(path: Path):
    try:
        return load_workbook(path, data_only=False, rich_text=False)
    except zipfile.BadZipFile:
        raise WorkbookError(path, [f"not an Excel workbook (.xlsx); {SAVE_AS_XLSX}"]) from None
    except Exception as exc:  # noqa: BLE001 - a zip that is not a workbook fails in many ways inside openpyxl
        raise WorkbookError(path, [f"not a readable Excel workbook ({type(exc).__name__}: {exc}); {SAVE_AS_XLSX}"]) from None


def _read_sheet(ws: Worksheet, columns: tuple[Column, ...], problems: list[str], notes: list[str]) -> _Sheet | None:
    header: dict[str, int] = {}
    for cell in next(ws.iter_rows(min_row=1, max_row=1), ()):
        name = _cell_text(cell.value) or ""
        if not name:
            continue
        if name in header:
            problems.append(f"sheet {ws.title}, row 1: column {name} appears twice "
                            f"({get_column_letter(header[name])} and {cell.column_letter})")
            return None
        header[name] = cell.column
    missing = [c.name for c in columns if c.required and c.name not in header]
    if missing:
        problems.append(f"sheet {ws.title}, row 1: missing column(s) {'、'.join(missing)}; "
                        f"expected the header {' | '.join(c.name for c in columns)}")
        return None
    known = {c.name for c in columns}
    extra = [name for name in header if name not in known]
    if extra:
        notes.append(f"sheet {ws.title}: column(s) {'、'.join(extra)} ignored")
    wanted = {number: name for name, number in header.items() if name in known}
    sheet = _Sheet(ws.title, header, [], problems)
    for cells in ws.iter_rows(min_row=2):
        values: dict[str, object] = {}
        for cell in cells:
            column = wanted.get(cell.column)
            if column is None:
                continue
            name = column
            if cell.data_type == "f":
                values[name] = FORMULA
            elif cell.data_type == "e":
                problems.append(f"{sheet.where(cell.row, name)}: expected a value, got the error {cell.value!r}")
                values[name] = ""
            else:
                values[name] = cell.value
        if any(v is FORMULA or (_cell_text(v) or "") for v in values.values()):
            sheet.rows.append((cells[0].row, values))
    return sheet


def _number(sheet: _Sheet, row: int, cells: dict, column: str) -> int:
    value = cells.get(column)
    if isinstance(value, bool):
        raise sheet.fail(row, column, f"expected a whole number, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = _cell_text(value)
    if text and re.fullmatch(r"\d+(\.0*)?", text):
        return int(text.split(".")[0])
    raise sheet.fail(row, column, f"expected a whole number, got {value!r}")


def _choice(sheet: _Sheet, row: int, cells: dict, column: str, labels: dict[str, str], empty: str | None) -> str:
    """A cell holding one of `labels` (label -> code; the codes themselves are accepted too)."""
    text = sheet.text(row, cells, column)
    if not text and empty is not None:
        return empty
    if text in labels:
        return labels[text]
    if text in labels.values():
        return text
    expected = "、".join(labels) + ("" if empty is None else " or an empty cell")
    raise sheet.fail(row, column, f"expected {expected}, got {text!r}")


def _read_items(sheet: _Sheet, has_short: bool, has_matter: bool):
    duties: list[Duty] = []
    short_names: dict[str, str] = {}
    members: dict[str, list[tuple[int, str]]] = {}
    first_row: dict[str, int] = {}
    short_row: dict[str, tuple[int, str]] = {}
    all_ids: set[str] = set()
    for row, cells in sheet.rows:
        try:
            item_id = sheet.text(row, cells, "编号", required=True)
            all_ids.add(item_id)
            list_key = _choice(sheet, row, cells, "清单", LIST_KEYS, None)
            number = _number(sheet, row, cells, "序号")
            if item_id != make_id(list_key, number):
                raise sheet.fail(row, "编号", f"expected {make_id(list_key, number)!r} for 清单 {LIST_NAMES[list_key]}, "
                                             f"序号 {number}, got {item_id!r}")
            if item_id in first_row:
                raise sheet.fail(row, "编号", f"duplicate 编号 {item_id!r} (also on row {first_row[item_id]})")
            first_row[item_id] = row
            try:
                sections = parse_sections(sheet.text(row, cells, "部门职责", one_line=False))
            except ValueError as exc:
                raise sheet.fail(row, "部门职责", str(exc)) from None
            record = {
                "id": item_id, "list": list_key, "number": number,
                "category": sheet.text(row, cells, "类别", required=True),
                "title": sheet.text(row, cells, "事项名称", required=True),
                "departments": sheet.lines(row, cells, "牵头部门"),
                "department_duties": [], "town_duties": sheet.lines(row, cells, "本镇职责"),
                "penalties": sheet.lines(row, cells, "处罚条款"),
                "discontinued": _choice(sheet, row, cells, "已停止", {YES: YES, NO: NO}, NO) == YES,
                "remark": sheet.text(row, cells, "备注", one_line=False),
            }
            try:
                duty = duty_from_record(record)
            except FieldError as exc:
                raise sheet.fail(row, ITEM_FIELDS.get(exc.field, "编号"), str(exc)) from None
            duty.department_duties = sections
            if has_short and (short := sheet.text(row, cells, "简称")):
                try:
                    short = check_short_name(short)
                except ValueError as exc:
                    raise sheet.fail(row, "简称", str(exc)) from None
                if short in short_row:
                    other_row, other_id = short_row[short]
                    raise sheet.fail(row, "简称", f"short name {short!r} is already used by {other_id} (row {other_row})")
                short_row[short] = (row, item_id)
                short_names[item_id] = short
            if has_matter and (matter := sheet.text(row, cells, "所属事项")):
                members.setdefault(matter, []).append((row, item_id))
            duties.append(duty)
        except _Skip:
            continue
    matters = []
    ids = {d.id for d in duties}
    for name, rows in members.items():
        try:
            matters.append(matter_from_record({"name": name, "items": [i for _, i in rows]}, ids))
        except FieldError:
            sheet.fail(rows[0][0], "所属事项", f"{name!r} is the 所属事项 of this item only; "
                                             "a matter groups at least 2 items (or leave the cell empty)")
    return duties, short_names, matters, all_ids


def _read_referrals(sheet: _Sheet) -> tuple[list[Referral], set[str]]:
    referrals: list[Referral] = []
    first_row: dict[str, int] = {}
    all_ids: set[str] = set()
    for row, cells in sheet.rows:
        try:
            record = {"id": sheet.text(row, cells, "编号"), "name": sheet.text(row, cells, "名称"),
                      "where": sheet.text(row, cells, "去哪里办", one_line=False),
                      "numbers": sheet.lines(row, cells, "电话"), "questions": sheet.lines(row, cells, "示例问题")}
            all_ids.add(str(record["id"]))
            try:
                referral = referral_from_record(record)
            except FieldError as exc:
                raise sheet.fail(row, REFERRAL_FIELDS[exc.field],
                                 str(exc).removeprefix(f"field {exc.field!r}: ")) from None
            if referral.id in first_row:
                raise sheet.fail(row, "编号", f"duplicate 编号 {referral.id!r} (also on row {first_row[referral.id]})")
            first_row[referral.id] = row
            referrals.append(referral)
        except _Skip:
            continue
    return referrals, all_ids


def _read_questions(sheet: _Sheet, item_ids: set[str], referral_ids: set[str] | None,
                    referrals_where: str) -> list[ExampleQuestion]:
    """The 示例问题 rows; each 编号 must be an item's or a referral's (those of `referrals_where`).

    `referral_ids` None: the referrals cannot be known (their sheet or file has a problem
    of its own, or no corpus was given), so a ref-… 编号 is not checked here.
    """
    sources = {label: code for code, label in SOURCE_LABELS.items()}
    styles = {label: code for code, label in STYLE_LABELS.items()}
    questions = []
    for row, cells in sheet.rows:
        try:
            item_id = sheet.text(row, cells, "编号", required=True)
            unchecked = referral_ids is None and item_id.startswith("ref-")
            if not unchecked and item_id not in item_ids and item_id not in (referral_ids or ()):
                raise sheet.fail(row, "编号", f"expected the 编号 of an item on sheet {ITEMS} or of a referral "
                                             f"{referrals_where}, got {item_id!r}")
            q = sheet.text(row, cells, "问题", required=True)
            source = parse_source(_choice(sheet, row, cells, "来源", sources, "list"))
            style = sheet.text(row, cells, "问法")
            questions.append(ExampleQuestion(item_id, q, styles.get(style, style), source))
        except _Skip:
            continue
    return questions


def _read_contacts(sheet: _Sheet) -> list[Contact]:
    contacts: list[Contact] = []
    first_row: dict[str, int] = {}
    for row, cells in sheet.rows:
        try:
            values = [sheet.text(row, cells, name) for name in CONTACT_FIELDS.values()]
            try:
                contact = contact_from_cells(values)
            except FieldError as exc:
                raise sheet.fail(row, CONTACT_FIELDS[exc.field], str(exc).split(": ", 1)[1]) from None
            if contact.name in first_row:
                raise sheet.fail(row, "名称", f"duplicate 名称 {contact.name!r} (also on row {first_row[contact.name]})")
            first_row[contact.name] = row
            contacts.append(contact)
        except _Skip:
            continue
    return contacts


def read_workbook(path: Path, files: CorpusFiles | None = None) -> tuple[Knowledge, list[str]]:
    """Read and check the whole workbook -> (what it holds, notes on what was ignored).

    A 示例问题 row points to an item on sheet 事项 or to an out-of-list referral (ref-…):
    one on sheet 清单外事项, or, when the workbook has no such sheet, one in the corpus's
    referrals.jsonl (`files`; without `files` such a row is left to write_corpus, which
    reads every file back). Raises WorkbookError listing every problem.
    """
    wb = _open(path)
    problems: list[str] = []
    notes: list[str] = []
    names = {ws.title.strip(): ws for ws in wb.worksheets}
    for name in names:
        if name not in SHEETS:
            notes.append(f"sheet {name} ignored")
    sheets = {name: _read_sheet(names[name], columns, problems, notes)
              for name, columns in SHEETS.items() if name in names}
    if ITEMS not in names:
        problems.insert(0, f"missing sheet {ITEMS} (the items of the list); the workbook has {'、'.join(names)}")
    knowledge = Knowledge(duties=[])
    item_ids: set[str] = set()
    items = sheets.get(ITEMS)
    if items is not None:
        duties, short_names, matters, item_ids = _read_items(items, "简称" in items.columns, "所属事项" in items.columns)
        knowledge.duties = duties
        knowledge.short_names = short_names if "简称" in items.columns else None
        knowledge.matters = matters if "所属事项" in items.columns else None
        if not duties and not problems:
            problems.append(f"sheet {ITEMS}: no items")
    # The referrals a question may point to; None: not known here (their sheet or file has a
    # problem of its own, reported, or no corpus was given), so ref-… 编号 are left unchecked.
    referral_ids: set[str] | None = None
    referrals_where = f"on sheet {REFERRALS}"
    referral_sheet = sheets.get(REFERRALS)
    if referral_sheet is not None:
        knowledge.referrals, referral_ids = _read_referrals(referral_sheet)
    elif REFERRALS not in names and files is not None:
        referrals_where = f"in {files.referrals.name} (the workbook has no sheet {REFERRALS})"
        try:
            referral_ids = {r.id for r in load_referrals(files.referrals)}  # a missing file: none
        except CorpusError as exc:
            problems.append(f"{exc} (kept as it is: the workbook has no sheet {REFERRALS})")
    question_sheet, contact_sheet = sheets.get(QUESTIONS), sheets.get(CONTACTS)
    if question_sheet is not None and items is not None:
        knowledge.questions = _read_questions(question_sheet, item_ids, referral_ids, referrals_where)
    if contact_sheet is not None:
        knowledge.contacts = _read_contacts(contact_sheet)
    if problems:
        raise WorkbookError(path, problems)
    return knowledge, notes


# --------------------------------------------------------------------------- writing the corpus


@dataclass
class _Plan:
    path: Path
    what: str
    text_writer: Callable[[Path], None] | None  # None: remove the file
    tmp: Path | None = None


def _plans(knowledge: Knowledge, files: CorpusFiles) -> list[_Plan]:
    k = knowledge
    plans = [_Plan(files.duties, f"{len(k.duties)} items", lambda p: write_duties(k.duties, p))]
    optional: list[tuple[Path, object, str, Callable[[Path], None]]] = [
        (files.questions, k.questions, f"{len(k.questions or [])} example questions",
         lambda p: write_questions(p, k.questions or [])),
        (files.referrals, k.referrals, f"{len(k.referrals or [])} out-of-list referrals",
         lambda p: write_referrals(p, k.referrals or [])),
        (files.short_names, k.short_names, f"{len(k.short_names or {})} short names",
         lambda p: write_short_names(p, k.short_names or {})),
        (files.matters, k.matters, f"{len(k.matters or [])} matters", lambda p: write_matters(p, k.matters or [])),
    ]
    for path, value, what, writer in optional:
        if value is None:
            continue  # the workbook says nothing about this file: it stays as it is
        plans.append(_Plan(path, what, writer if value else None))
    if k.contacts is not None:  # a contacts file with its header alone is a valid empty list
        plans.append(_Plan(files.contacts, f"{len(k.contacts)} contacts", lambda p: write_contacts(p, k.contacts or [])))
    return plans


def _check_written(files: CorpusFiles, plans: list[_Plan]) -> None:
    """Load the corpus as it will be (new files where planned, kept ones elsewhere) with the loaders."""
    planned = {p.path: p for p in plans}

    def path_of(path: Path) -> Path | None:
        plan = planned.get(path)
        if plan is None:
            return path if path.exists() else None
        return plan.tmp

    def kept(path: Path) -> str:
        return "" if path in planned else " (this file is kept as it is: the workbook has no sheet or column for it)"

    def load(path: Path, loader: Callable[[Path], object]):
        actual = path_of(path)
        if actual is None:
            return None
        try:
            return loader(actual)
        except CorpusError as exc:
            raise CorpusError(str(exc).replace(str(actual), str(path)) + kept(path)) from None

    ids = {d.id for d in load(files.duties, load_duties)}
    referrals = load(files.referrals, load_referrals) or []
    load(files.questions, lambda p: load_questions(p, ids | {r.id for r in referrals}))
    load(files.matters, lambda p: load_matters(p, ids))
    load(files.short_names, lambda p: load_short_names(p, ids))
    load(files.contacts, load_contacts)


def _old_order(path: Path, jsonl: bool) -> list[tuple[str, list[str]]]:
    """(key, items) in the order of an existing matters.jsonl / short_names.tsv; [] when unreadable."""
    if not path.exists():
        return []
    try:
        if jsonl:
            return [(d["name"].strip(), [i for i in d["items"] if isinstance(i, str)])
                    for _, d in iter_jsonl(path) if isinstance(d.get("name"), str) and isinstance(d.get("items"), list)]
        return [(line.split("\t")[0].strip(), []) for _, line in iter_lines(path)
                if line.strip() and not line.lstrip().startswith("#")]
    except (CorpusError, OSError):
        return []


def keep_order(knowledge: Knowledge, files: CorpusFiles) -> Knowledge:
    """Matters and short names in the order of the files they replace.

    The workbook lists them by item, so it has no order of its own for matters (nor
    for the items inside one, where the first may be the main one) and short names.
    Whatever is still there keeps its old place; what is new follows in row order.
    Importing a workbook back into the corpus it came from thus changes nothing.
    """
    matters, short_names = knowledge.matters, knowledge.short_names
    if matters:
        new = {m.name: m for m in matters}
        ordered = []
        for name, old_items in _old_order(files.matters, jsonl=True):
            matter = new.pop(name, None)
            if matter is not None:
                kept = [i for i in dict.fromkeys(old_items) if i in matter.items]
                ordered.append(Matter(name, tuple(kept + [i for i in matter.items if i not in kept])))
        matters = ordered + list(new.values())
    if short_names:
        first = {item_id: short_names[item_id] for item_id, _ in _old_order(files.short_names, jsonl=False)
                 if item_id in short_names}
        short_names = {**first, **{k: v for k, v in short_names.items() if k not in first}}
    return replace(knowledge, matters=matters, short_names=short_names)


def write_corpus(knowledge: Knowledge, files: CorpusFiles) -> list[str]:
    """Replace the corpus files with what the workbook holds, all or nothing; returns what was done.

    Every file is written to a temporary file next to it and read back with its loader
    (together with the files the workbook leaves alone); only then are they renamed
    over the old ones, and files the workbook empties are removed. Matters and short
    names keep the order of the files they replace (keep_order).
    """
    plans = _plans(keep_order(knowledge, files), files)
    try:
        for plan in plans:
            if plan.text_writer is not None:
                plan.path.parent.mkdir(parents=True, exist_ok=True)
                plan.tmp = plan.path.with_name(f".{plan.path.name}.{os.getpid()}.import-tmp")
                plan.text_writer(plan.tmp)
        _check_written(files, plans)
        done = []
        for plan in plans:
            if plan.tmp is not None:
                plan.tmp.replace(plan.path)
                plan.tmp = None
                done.append(f"wrote {plan.what} to {plan.path}")
            elif plan.path.exists():
                plan.path.unlink()
                done.append(f"removed {plan.path} (the workbook has none)")
        return done
    finally:
        for plan in plans:
            if plan.tmp is not None:
                plan.tmp.unlink(missing_ok=True)
