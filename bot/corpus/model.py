"""The structured duty list: dataclasses and reading/writing `corpus/duties.jsonl`."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

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
    departments: list[str] = field(default_factory=list)
    department_duties: list[DepartmentSection] = field(default_factory=list)
    town_duties: list[str] = field(default_factory=list)
    penalties: list[str] = field(default_factory=list)
    discontinued: bool = False
    # Extension: the printed reason for a returned item that ended
    # ("法律法规条款已失效，不再开展此项工作。"); empty otherwise.
    remark: str = ""

    @property
    def list_name(self) -> str:
        return LIST_NAMES[self.list]

    @property
    def display_title(self) -> str:
        """The title without the penalty marker `*` the source prints."""
        return self.title.replace("*", "")

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict) -> "Duty":
        data = dict(data)
        data["department_duties"] = [DepartmentSection(**s) for s in data.get("department_duties", [])]
        return cls(**data)


REQUIRED_FIELDS = {"id": str, "list": str, "number": int, "category": str, "title": str}


def make_id(list_key: str, number: int) -> str:
    return f"{list_key}-{number:03d}"


def write_duties(duties: list[Duty], path: Path) -> None:
    text = "".join(d.to_json() + "\n" for d in duties)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def iter_jsonl(path: Path) -> Iterator[tuple[str, dict]]:
    """("file:line", object) for each non-blank line; a malformed line raises CorpusError."""
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
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


def load_duties(path: Path) -> list[Duty]:
    """Read and validate duties.jsonl; any problem raises CorpusError with file:line."""
    if not path.exists():
        raise CorpusError(f"{path}: file not found (run scripts/import_list.py)")
    duties: list[Duty] = []
    seen: set[str] = set()
    for where, data in iter_jsonl(path):
        for name, kind in REQUIRED_FIELDS.items():
            if not isinstance(data.get(name), kind) or (kind is str and not data[name].strip()):
                raise CorpusError(f"{where}: field {name!r} missing or not a non-empty {kind.__name__}")
        if data["list"] not in LISTS:
            raise CorpusError(f"{where}: list must be one of {', '.join(LISTS)}, got {data['list']!r}")
        if data["id"] != make_id(data["list"], data["number"]):
            raise CorpusError(f"{where}: id {data['id']!r} does not match list/number")
        if data["id"] in seen:
            raise CorpusError(f"{where}: duplicate id {data['id']!r}")
        seen.add(data["id"])
        try:
            duties.append(Duty.from_dict(data))
        except TypeError as exc:
            raise CorpusError(f"{where}: {exc}") from None
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
