"""Short names of items, for buttons and lists: `corpus/short_names.tsv`.

One line per item, `id<TAB>short`, e.g. `basic-001	政治建设理论学习`; lines starting
with `#` are comments. A short name is at most 12 characters, and no two items
share one.
"""
from __future__ import annotations

from pathlib import Path

from bot.corpus.model import CorpusError, iter_lines, write_text

SHORT_MAX = 12


def check_short_name(short: str) -> str:
    """The short name stripped; ValueError says what is wrong with it."""
    short = short.strip()
    if not short:
        raise ValueError("expected a short name, got an empty one")
    if len(short) > SHORT_MAX:
        raise ValueError(f"expected a short name of at most {SHORT_MAX} characters, got {len(short)} ({short!r})")
    return short


def load_short_names(path: Path, known_ids: set[str]) -> dict[str, str]:
    """Read short_names.tsv into {id: short} in file order; a missing file means none.

    Any bad line raises CorpusError naming file:line.
    """
    if not path.exists():
        return {}
    names: dict[str, str] = {}
    owner: dict[str, tuple[str, int]] = {}
    lines: dict[str, int] = {}
    for lineno, line in iter_lines(path):
        where = f"{path}:{lineno}"
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 2:
            raise CorpusError(f"{where}: expected 'id<TAB>short name', got {len(parts)} tab-separated fields")
        item_id, short = parts[0].strip(), parts[1]
        if item_id not in known_ids:
            raise CorpusError(f"{where}: unknown item id {item_id!r}")
        if item_id in names:
            raise CorpusError(f"{where}: {item_id!r} already has a short name (line {lines[item_id]})")
        try:
            short = check_short_name(short)
        except ValueError as exc:
            raise CorpusError(f"{where}: {exc}") from None
        if short in owner:
            other, other_line = owner[short]
            raise CorpusError(f"{where}: short name {short!r} is already used by {other!r} (line {other_line})")
        names[item_id] = short
        owner[short] = (item_id, lineno)
        lines[item_id] = lineno
    if not names:
        raise CorpusError(f"{path}: file is empty; expected 'id<TAB>short name' lines (delete the file if there are none)")
    return names


def write_short_names(path: Path, names: dict[str, str]) -> None:
    """One `id<TAB>short` line per item in the dict's order; an empty dict is refused."""
    if not names:
        raise ValueError(f"{path}: no short names to write; remove the file instead")
    for item_id, short in names.items():
        if "\t" in item_id + short or "\n" in item_id + short:
            raise ValueError(f"{path}: {item_id!r}: a short name cannot hold a tab or a line break")
    write_text(path, "".join(f"{item_id}\t{short}\n" for item_id, short in names.items()))
