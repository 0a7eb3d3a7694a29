"""The structured duty list: dataclasses and reading/writing `corpus/duties.jsonl`."""
from __future__ import annotations

import builtins
import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

LISTS = ("basic", "coop", "returned")
LIST_NAMES = {
    "basic": "基本履职事项",
    "coop": "配合履职事项",
    "returned": "上级部门收回事项",
}


class CorpusError(ValueError):
    """The corpus file is malformed; the message names the file and line."""


@dataclass
class DepartmentSection:
    """One "…主要职责：" block of an upper department (or a returned item's 承接部门)."""

    departments: list[str]
    duties: list[str] = field(default_factory=list)
    support: list[str] = field(default_factory=list)


@dataclass
class Duty:
    id: str
    list: str
    number: int
    category: str
    title: str
    departments: builtins.list[str] = field(default_factory=builtins.list)
    department_duties: builtins.list[DepartmentSection] = field(default_factory=builtins.list)
    town_duties: builtins.list[str] = field(default_factory=builtins.list)
    penalties: builtins.list[str] = field(default_factory=builtins.list)
    discontinued: bool = False
    # Extension: the printed reason for a returned item that ended
    # ("法律法规条款已失效，不再开展此项工作。"); empty otherwise.
    remark: str = ""

    def departments_first(self, first: str = "") -> builtins.list[str]:
        """The departments, those named in `first` ("、"-joined) leading."""
        firsts = [d for d in first.split("、") if d in self.departments]
        return firsts + [d for d in self.departments if d not in firsts]

    @property
    def display_title(self) -> str:
        """The title without the penalty marker `*` the source prints."""
        return self.title.replace("*", "")

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict) -> Duty:
        data = dict(data)
        data["department_duties"] = [DepartmentSection(**s) for s in data.get("department_duties", [])]
        return cls(**data)


REQUIRED_FIELDS = {"id": str, "list": str, "number": int, "category": str, "title": str}


def make_id(list_key: str, number: int) -> str:
    return f"{list_key}-{number:03d}"


def write_text(path: Path, text: str) -> None:
    """Write UTF-8 (no BOM, "\n" line ends) through `<path>.tmp`, so a reader never sees half a file."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(text.encode("utf-8"))
    tmp.replace(path)


def write_duties(duties: list[Duty], path: Path) -> None:
    write_text(path, "".join(d.to_json() + "\n" for d in duties))


def read_text(path: Path) -> str:
    """The file as text: UTF-8, with or without the BOM Windows editors add.

    Any other encoding raises CorpusError naming the file (a missing file raises
    FileNotFoundError; callers decide what a missing file means).
    """
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CorpusError(f"{path}: not UTF-8 text; save it as UTF-8") from None


def iter_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, line) for every line, "\r\n" or "\n" endings.

    Lines are split at "\n" only: str.splitlines() would also split inside a JSON
    string holding U+2028 or U+0085, which json.dumps(ensure_ascii=False) leaves as is.
    """
    for lineno, line in enumerate(read_text(path).split("\n"), 1):
        yield lineno, line.removesuffix("\r")


def iter_jsonl(path: Path) -> Iterator[tuple[str, dict]]:
    """("file:line", object) for each non-blank line; a malformed line raises CorpusError."""
    for lineno, line in iter_lines(path):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorpusError(f"{where}: not valid JSON ({exc.msg})") from None
        if not isinstance(data, dict):
            raise CorpusError(f"{where}: expected a JSON object")
        yield where, data


class FieldError(ValueError):
    """One record is wrong in one field; the caller says where the record is."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _is_text_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _shape_problem(data: dict) -> str:
    """What is wrong with the optional fields' types ("市民政局" where a list belongs …), or ""."""
    for name in ("departments", "town_duties", "penalties"):
        if name in data and not _is_text_list(data[name]):
            return f"field {name!r} must be a list of strings, got {type(data[name]).__name__}"
    sections = data.get("department_duties", [])
    if not isinstance(sections, list):
        return "field 'department_duties' must be a list of objects"
    for i, section in enumerate(sections, 1):
        if not isinstance(section, dict) or not _is_text_list(section.get("departments")):
            return f"department_duties[{i}] needs 'departments' as a list of strings"
        for name in ("duties", "support"):
            if name in section and not _is_text_list(section[name]):
                return f"department_duties[{i}].{name} must be a list of strings"
    if not isinstance(data.get("discontinued", False), bool):
        return "field 'discontinued' must be true or false"
    if not isinstance(data.get("remark", ""), str):
        return "field 'remark' must be a string"
    return ""


def duty_from_record(data: dict) -> Duty:
    """One duties.jsonl object -> Duty, with the checks load_duties makes on every line.

    Raises FieldError naming the field; uniqueness across records is the caller's.
    """
    for name, kind in REQUIRED_FIELDS.items():
        if not isinstance(data.get(name), kind) or (kind is str and not data[name].strip()):
            raise FieldError(name, f"field {name!r} missing or not a non-empty {kind.__name__}")
    if data["list"] not in LISTS:
        raise FieldError("list", f"list must be one of {', '.join(LISTS)}, got {data['list']!r}")
    if data["id"] != make_id(data["list"], data["number"]):
        raise FieldError("id", f"id {data['id']!r} does not match list/number")
    problem = _shape_problem(data)
    if problem:
        raise FieldError("", problem)
    try:
        return Duty.from_dict(data)
    except TypeError as exc:
        raise FieldError("", str(exc)) from None


def load_duties(path: Path) -> list[Duty]:
    """Read and validate duties.jsonl; any problem raises CorpusError with file:line."""
    if not path.exists():
        raise CorpusError(f"{path}: file not found (run scripts/import_list.py)")
    duties: list[Duty] = []
    seen: set[str] = set()
    for where, data in iter_jsonl(path):
        try:
            duty = duty_from_record(data)
        except FieldError as exc:
            raise CorpusError(f"{where}: {exc}") from None
        if duty.id in seen:
            raise CorpusError(f"{where}: duplicate id {duty.id!r}")
        seen.add(duty.id)
        duties.append(duty)
    if not duties:
        raise CorpusError(f"{path}: no items")
    return duties


def file_hash(*paths: Path) -> str:
    """Hash of the corpus files an index was built from (detects a stale index)."""
    h = hashlib.sha256()
    for p in paths:
        h.update(p.name.encode())
        h.update(p.read_bytes() if p.exists() else b"")
    return h.hexdigest()[:16]
