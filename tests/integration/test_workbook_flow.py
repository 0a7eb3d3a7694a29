"""An admin's change flows through: edit a cell → import_list.py → build_index.py → the answer changes.

Also for the out-of-list referrals: a new row on sheet 清单外事项 with an example
question on sheet 示例问题 pointing to it (ref-…) becomes a referral the bot gives.

Runs the admin scripts as an admin does, on a copy of the session's corpus and index
(real model, real FAISS), so the rebuild re-embeds only the texts that changed.
"""
from __future__ import annotations

from openpyxl import load_workbook

from bot.answers.render import format_answer, format_duty_detail
from bot.corpus.model import load_duties
from bot.corpus.questions import load_questions
from bot.corpus.referrals import load_referrals
from bot.engine import ContactBook, Engine
from bot.retrieval.live import SearcherHolder
from bot.retrieval.opening import open_searcher

NEW_TITLE = "防汛抗旱和冰凌险情处置"
NEW_SHORT = "防汛冰凌"
NEW_QUESTION = "驴车轱辘掉了找谁修"
NEW_REFERRAL = ["ref-library", "图书馆借书", "扎兰屯市图书馆（借书证在服务台办理）", "", "图书馆借书证在哪办"]
NEW_REFERRAL_QUESTION = "想去图书馆借书 借书证咋办"


def _row_of(ws, item_id: str) -> int:
    return next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == item_id)


def test_edited_cells_reach_duties_questions_and_the_answer(searcher, index_copy, run_script, tmp_path):
    # Before: neither the new wording nor the new question leads to the items they will be about.
    assert searcher.search("冰凌险情").matches[0].id != "coop-029"
    before = searcher.search(NEW_QUESTION)
    assert not (before.answered and before.matches[0].id == "coop-069")

    book = tmp_path / "职责清单.xlsx"
    proc = run_script("export_list.py", "-o", book, settings=index_copy)
    assert proc.returncode == 0, proc.stderr

    # The admin edits the workbook: a new 事项名称 and 简称, and one more 示例问题.
    wb = load_workbook(book)
    items = wb["事项"]
    assert (items.cell(1, 5).value, items.cell(1, 6).value) == ("事项名称", "简称")
    items.cell(_row_of(items, "coop-029"), 5).value = NEW_TITLE
    items.cell(_row_of(items, "coop-029"), 6).value = NEW_SHORT
    wb["示例问题"].append(["coop-069", NEW_QUESTION, "生活", "口语"])
    # … and an out-of-list referral with an example question of its own.
    wb["清单外事项"].append(NEW_REFERRAL)
    wb["示例问题"].append([NEW_REFERRAL[0], NEW_REFERRAL_QUESTION, "生活", ""])
    wb.save(book)

    proc = run_script("import_list.py", book, settings=index_copy)
    assert proc.returncode == 0, proc.stderr
    duties = {d.id: d for d in load_duties(index_copy.duties_path)}
    assert duties["coop-029"].title == NEW_TITLE
    referrals = load_referrals(index_copy.referrals_path)
    assert referrals[-1].id == NEW_REFERRAL[0]
    questions = load_questions(index_copy.questions_path, set(duties) | {r.id for r in referrals})
    assert [(q.id, q.q, q.source) for q in questions[-2:]] == [("coop-069", NEW_QUESTION, "life"),
                                                               (NEW_REFERRAL[0], NEW_REFERRAL_QUESTION, "life")]

    proc = run_script("build_index.py", "--quiet", settings=index_copy)
    assert proc.returncode == 0, proc.stderr
    assert "embedded" in proc.stdout

    after = open_searcher(index_copy)
    engine = Engine(SearcherHolder(index_copy, after), ContactBook(index_copy.contacts_file))
    flood = engine.ask("防汛抗旱")
    assert flood.matches[0].id == "coop-029" and flood.matches[0].title == NEW_TITLE
    assert f"<b>{NEW_SHORT}</b>" in format_answer(flood, engine.duty)
    assert f"事项全文：{NEW_TITLE}" in format_duty_detail(engine.duty("coop-029"), flood.short("coop-029", ""))
    assert after.search("冰凌险情").matches[0].id == "coop-029"
    speaker = after.search(NEW_QUESTION)
    assert speaker.answered and speaker.matches[0].id == "coop-069"
    library = engine.ask("图书馆借书证怎么办")
    assert library.kind == "referral" and library.referral.id == NEW_REFERRAL[0], (library.kind, library.matches[:1])
    assert f"（{NEW_REFERRAL[1]}）" in format_answer(library, engine.duty)


def test_a_rejected_workbook_changes_neither_the_corpus_nor_the_index(index_copy, run_script, tmp_path):
    book = tmp_path / "职责清单.xlsx"
    assert run_script("export_list.py", "-o", book, settings=index_copy).returncode == 0
    wb = load_workbook(book)
    wb["事项"]["E2"] = None  # an emptied 事项名称
    wb["示例问题"].append(["basic-999", "不存在的事项", "生活", ""])
    wb["示例问题"].append(["ref-nowhere", "不存在的清单外事项", "生活", ""])
    wb.save(book)
    corpus_before = {p.name: p.read_bytes() for p in index_copy.corpus_dir.iterdir()}
    assert {"emergency.jsonl", "decision.json", "out_of_list.jsonl"} <= set(corpus_before)

    proc = run_script("import_list.py", book, settings=index_copy)
    assert proc.returncode == 1
    assert "sheet 事项, row 2, column 事项名称 (E): expected a value" in proc.stderr
    assert "column 编号 (A): expected the 编号 of an item" in proc.stderr and "basic-999" in proc.stderr
    assert "or of a referral on sheet 清单外事项, got 'ref-nowhere'" in proc.stderr
    assert proc.stderr.rstrip().endswith("; nothing written") and "Traceback" not in proc.stderr
    assert {p.name: p.read_bytes() for p in index_copy.corpus_dir.iterdir()} == corpus_before
    assert open_searcher(index_copy).search("防汛抗旱").matches[0].title == "防汛抗旱"
