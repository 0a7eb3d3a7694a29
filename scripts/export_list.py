#!/usr/bin/env python3
"""Write the corpus (items, example questions, contacts, out-of-list matters) to one Excel workbook.

Admins edit the workbook in Excel or WPS and bring it back with
`scripts/import_list.py 职责清单.xlsx`; export followed by import gives the corpus
files back unchanged.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.corpus.model import CorpusError
from bot.corpus.workbook import CorpusFiles, read_corpus, write_workbook
from bot.settings import Settings, SettingsError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=Path("职责清单.xlsx"),
                        help="workbook to write (default: 职责清单.xlsx in the current folder)")
    parser.add_argument("--corpus", "--corpus-dir", dest="corpus", type=Path,
                        help="corpus folder to export, contacts.tsv included "
                             "(default: the CORPUS_DIR and CONTACTS_PATH settings)")
    args = parser.parse_args(argv)
    if args.output.suffix.lower() != ".xlsx":
        parser.error(f"the output must be an .xlsx workbook, got {args.output}")
    try:
        files = CorpusFiles.in_dir(args.corpus) if args.corpus else CorpusFiles.from_settings(Settings.from_env())
        knowledge = read_corpus(files)
        write_workbook(knowledge, args.output)
    except (CorpusError, SettingsError) as exc:
        print(f"error: {exc}; nothing written", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {args.output}: cannot write the workbook ({exc.strerror or exc}; is it open in Excel or WPS?); nothing written",
              file=sys.stderr)
        return 1
    sheets = [f"事项 {len(knowledge.duties)}"]
    for name, rows in (("示例问题", knowledge.questions), ("联系方式", knowledge.contacts),
                       ("清单外事项", knowledge.referrals)):
        if rows is not None:
            sheets.append(f"{name} {len(rows)}")
    print(f"wrote {args.output} ({', '.join(sheets)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
