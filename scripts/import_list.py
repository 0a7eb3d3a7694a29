#!/usr/bin/env python3
"""Bring the duty list into the corpus: the published text, or the admins' Excel workbook.

`import_list.py [SOURCE] [-o OUT.jsonl]`: the published list (extracted text, the
default is corpus/source/…) becomes corpus/duties.jsonl. Deterministic: two runs give
identical bytes. A source that does not parse stops with the line number and what was
expected, and nothing is written.

`import_list.py 职责清单.xlsx [--corpus DIR]`: a workbook written by export_list.py and
edited in Excel or WPS replaces the corpus files it holds (duties.jsonl, questions.jsonl,
contacts.tsv, referrals.jsonl, short_names.tsv, matters.jsonl). An example question may
point to an item or to an out-of-list referral (ref-…) on sheet 清单外事项 (or, without
that sheet, in referrals.jsonl). The whole workbook is checked first; any problem names
the sheet, row and column, and nothing is written. The other corpus files (synonyms.tsv,
emergency.jsonl, decision.json, out_of_list.jsonl) are left as they are.
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.corpus.importer import SourceError, parse_file
from bot.corpus.model import LIST_NAMES, CorpusError, write_duties
from bot.corpus.workbook import CorpusFiles, WorkbookError, read_workbook, write_corpus
from bot.settings import Settings, SettingsError

DEFAULT_SOURCE = ROOT / "corpus" / "source" / "000_abfaf3bcc1fa4131.txt"
DEFAULT_OUTPUT = ROOT / "corpus" / "duties.jsonl"


def import_text(source: Path, output: Path) -> int:
    try:
        duties = parse_file(source)
    except FileNotFoundError:
        print(f"error: {source}: file not found", file=sys.stderr)
        return 2
    except SourceError as exc:
        print(f"error: {source}: {exc}; nothing written", file=sys.stderr)
        return 1
    except UnicodeDecodeError:
        print(f"error: {source}: not UTF-8 text (a workbook is read only from an .xlsx file); nothing written",
              file=sys.stderr)
        return 1
    output.parent.mkdir(parents=True, exist_ok=True)
    write_duties(duties, output)
    counts = Counter(d.list for d in duties)
    summary = ", ".join(f"{LIST_NAMES[k]} {counts[k]}" for k in LIST_NAMES)
    print(f"wrote {len(duties)} items to {output} ({summary})")
    return 0


def import_workbook(source: Path, corpus: Path | None) -> int:
    if not source.exists():
        print(f"error: {source}: file not found", file=sys.stderr)
        return 2
    try:
        files = CorpusFiles.in_dir(corpus) if corpus else CorpusFiles.from_settings(Settings.from_env())
        knowledge, notes = read_workbook(source, files)
        for note in notes:
            print(f"note: {note}", file=sys.stderr)
        done = write_corpus(knowledge, files)
    except (WorkbookError, CorpusError, SettingsError) as exc:
        print(f"error: {exc}; nothing written", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: cannot write the corpus ({exc}); nothing written", file=sys.stderr)
        return 1
    print("\n".join(done))
    print("next: scripts/build_index.py rebuilds the search index from it")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE,
                        help="extracted list text, or an .xlsx workbook from export_list.py")
    parser.add_argument("-o", "--output", type=Path, help="duties.jsonl to write (published text only)")
    parser.add_argument("--corpus", "--corpus-dir", dest="corpus", type=Path,
                        help="corpus folder to write, contacts.tsv included (default: the CORPUS_DIR and "
                             "CONTACTS_PATH settings for a workbook, corpus/duties.jsonl for the text)")
    args = parser.parse_args(argv)
    if args.source.suffix.lower() == ".xlsx":
        if args.output:
            parser.error("-o is for the published text; a workbook is imported into a corpus folder (--corpus DIR)")
        return import_workbook(args.source, args.corpus)
    output = args.output or (args.corpus / "duties.jsonl" if args.corpus else DEFAULT_OUTPUT)
    return import_text(args.source, output)


if __name__ == "__main__":
    sys.exit(main())
