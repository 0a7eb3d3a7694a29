"""Contacts of the offices the list names: `corpus/contacts.tsv` (setting CONTACTS_PATH).

A tab-separated table with the header `名称	电话	地址	办公时间	备注`, one office per
line, UTF-8 with or without the BOM Excel and WPS write. Cells are plain text; a
cell wrapped in `"` with its inner quotes doubled (as Excel writes a cell that
holds quotes) is unwrapped. Phones may be left blank; a phone
holds only digits, `-`, spaces, `+` and parentheses. Names are unique.
"""
from __future__ import annotations

import re
from dataclasses import astuple, dataclass
from pathlib import Path

from bot.corpus.model import CorpusError, FieldError, iter_lines, write_text

HEADER = ("名称", "电话", "地址", "办公时间", "备注")
FIELDS = ("name", "phone", "address", "hours", "note")
PHONE = re.compile(r"^[0-9+\-() ]*[0-9][0-9+\-() ]*$")


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str = ""
    address: str = ""
    hours: str = ""
    note: str = ""


def contact_from_cells(cells: list[str]) -> Contact:
    """Five cells (名称 … 备注) -> Contact; FieldError names the field that is wrong."""
    values = [c.strip() for c in cells]
    for field, header, value in zip(FIELDS, HEADER, values):
        if "\n" in value or "\r" in value or "\t" in value:
            raise FieldError(field, f"{header}: expected one line of text without tabs, got {value!r}")
    contact = Contact(*values)
    if not contact.name:
        raise FieldError("name", "名称: expected the office's name, got an empty cell")
    if contact.phone and not PHONE.match(contact.phone):
        raise FieldError("phone", f"电话: expected digits, '-', spaces, '+' or parentheses, got {contact.phone!r}")
    return contact


def _unquote(cell: str) -> str:
    """Excel's quoting: a quote around the cell and every quote inside doubled."""
    inner = cell[1:-1]
    if len(cell) >= 2 and cell[0] == cell[-1] == '"' and '"' not in inner.replace('""', ""):
        return inner.replace('""', '"')
    return cell


def _quote(cell: str) -> str:
    """Quote a cell only when it would otherwise read back as a quoted one."""
    return '"' + cell.replace('"', '""') + '"' if _unquote(cell) != cell else cell


def load_contacts(path: Path) -> list[Contact]:
    """Read contacts.tsv: a missing file means none; a bad row raises CorpusError naming file:line.

    An existing file needs at least the header line.
    """
    if not path.exists():
        return []
    contacts: list[Contact] = []
    seen: dict[str, int] = {}
    header_seen = False
    for lineno, line in iter_lines(path):
        where = f"{path}:{lineno}"
        row = [_unquote(cell.strip()) for cell in line.split("\t")]
        if not any(row):
            continue
        if any(row[len(HEADER):]):
            raise CorpusError(f"{where}: expected {len(HEADER)} tab-separated columns "
                              f"({'、'.join(HEADER)}), got {len(row)}")
        cells = (row + [""] * len(HEADER))[:len(HEADER)]
        if not header_seen:
            if tuple(cells) != HEADER:
                raise CorpusError(f"{where}: expected the header {'<TAB>'.join(HEADER)}, got {line!r}")
            header_seen = True
            continue
        try:
            contact = contact_from_cells(cells)
        except FieldError as exc:
            raise CorpusError(f"{where}: {exc}") from None
        if contact.name in seen:
            raise CorpusError(f"{where}: duplicate name {contact.name!r} (first on line {seen[contact.name]})")
        seen[contact.name] = lineno
        contacts.append(contact)
    if not header_seen:
        raise CorpusError(f"{path}: file is empty; expected the header {'<TAB>'.join(HEADER)} "
                          "(delete the file if there are no contacts)")
    return contacts


def write_contacts(path: Path, contacts: list[Contact]) -> None:
    """Header and one line per contact in the given order; UTF-8 without BOM, "\\n" line ends.

    No contacts gives the header alone. A cell that holds a tab or a line break is refused.
    """
    lines = ["\t".join(HEADER)]
    for contact in contacts:
        cells = astuple(contact)
        if any(ch in cell for cell in cells for ch in "\t\r\n"):
            raise ValueError(f"{path}: contact {contact.name!r}: a cell cannot hold a tab or a line break")
        lines.append("\t".join(_quote(cell) for cell in cells))
    write_text(path, "".join(line + "\n" for line in lines))
