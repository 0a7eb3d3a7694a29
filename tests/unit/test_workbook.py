"""The admins' workbook (bot.corpus.workbook, scripts/export_list.py, scripts/import_list.py .xlsx).

- export followed by import gives the corpus files back byte for byte: on the real
  corpus (in place, with the files the workbook does not hold left alone), on the real
  items and questions with the small fixture files, after WPS-style saving, and on the
  admins' own files in /work/scratch when present;
- the workbook reads well on screen and on paper;
- an edited cell reaches the corpus files;
- an example question may point to an out-of-list referral (ref-…) on sheet 清单外事项,
  or in referrals.jsonl when the workbook has no such sheet, as the index build allows;
- every kind of bad workbook stops with an error naming sheet, row and column, and
  nothing is written.
"""
from __future__ import annotations

import importlib.util
import json
import re
import shutil
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

ROOT = Path(__file__).resolve().parents[2]
for extra in (ROOT, ROOT / "tests" / "support"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from wps_workbook import save_as_wps

from bot.corpus.contacts import load_contacts
from bot.corpus.matters import Matter, load_matters, write_matters
from bot.corpus.model import CorpusError, DepartmentSection, load_duties, write_duties
from bot.corpus.questions import ExampleQuestion, load_questions, write_questions
from bot.corpus.referrals import load_referrals, write_referrals
from bot.corpus.short_names import load_short_names
from bot.corpus.workbook import (
    CorpusFiles,
    Knowledge,
    WorkbookError,
    format_sections,
    parse_sections,
    read_corpus,
    read_workbook,
    write_corpus,
    write_workbook,
)

FIXTURES = ROOT / "tests" / "fixtures" / "corpus_extra"
SCRATCH = Path("/work/scratch")
CORPUS_FILES = ("duties.jsonl", "questions.jsonl", "contacts.tsv", "referrals.jsonl", "short_names.tsv",
                "matters.jsonl")
# Corpus files the workbook does not hold: an import never touches them.
OTHER_FILES = ("synonyms.tsv", "emergency.jsonl", "decision.json", "out_of_list.jsonl")
EXTRA_QUESTIONS = [
    ExampleQuestion("coop-029", "河水漫进院子了找谁", "", "life"),
    ExampleQuestion("ref-passport", "孩子出国留学办护照去哪", "scenario", "life"),
    ExampleQuestion("basic-048", "老人的高龄补贴这个月没到账", "learned", "learned"),
]
SMALL_IDS = {"basic-001", "basic-002", "basic-041", "basic-048", "basic-062", "basic-084", "basic-107", "coop-001",
             "coop-022", "coop-028", "coop-029", "coop-059", "coop-060", "returned-003", "returned-008",
             "returned-009", "returned-020", "returned-078"}
# Real referrals the small corpus takes along with their example questions in questions.jsonl.
SMALL_REFS = {"ref-funeral", "ref-power-outage"}


def _load_script(name: str):
    spec = importlib.util.spec_from_file_location(name.removesuffix(".py"), ROOT / "scripts" / name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


import_list = _load_script("import_list.py")
export_list = _load_script("export_list.py")


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (sub-folders too), by its path relative to `folder`."""
    if not folder.exists():
        return {}
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def real_corpus() -> dict:
    """The real corpus as its loaders read it, for the counts the tests expect."""
    corpus = ROOT / "corpus"
    duties = load_duties(corpus / "duties.jsonl")
    ids = {d.id for d in duties}
    referrals = load_referrals(corpus / "referrals.jsonl")
    return {
        "duties": duties, "referrals": referrals,
        "questions": load_questions(corpus / "questions.jsonl", ids | {r.id for r in referrals}),
        "contacts": load_contacts(corpus / "contacts.tsv"),
        "short_names": load_short_names(corpus / "short_names.tsv", ids),
        "matters": load_matters(corpus / "matters.jsonl", ids),
    }


def full_corpus(folder: Path, ids: set[str] | None = None, refs: set[str] | None = None) -> Path:
    """The real duties (all, or those of `ids`) with the small fixture files and a few more questions.

    Referrals: the fixture ones, then the real ones (all, or those of `refs`) not already
    there. Questions: the real ones whose item or referral is there, then EXTRA_QUESTIONS.
    """
    folder.mkdir(parents=True, exist_ok=True)
    real = real_corpus()
    duties = [d for d in real["duties"] if ids is None or d.id in ids]
    write_duties(duties, folder / "duties.jsonl")
    referrals = load_referrals(FIXTURES / "referrals.jsonl")
    fixture_refs = {r.id for r in referrals}
    referrals += [r for r in real["referrals"] if (refs is None or r.id in refs) and r.id not in fixture_refs]
    write_referrals(folder / "referrals.jsonl", referrals)
    known = {d.id for d in duties} | {r.id for r in referrals}
    questions = [q for q in real["questions"] if q.id in known]
    write_questions(folder / "questions.jsonl", questions + EXTRA_QUESTIONS)
    for name in ("contacts.tsv", "short_names.tsv", "matters.jsonl"):
        shutil.copy(FIXTURES / name, folder / name)
    return folder


def export(corpus: Path, out: Path) -> Path:
    assert export_list.main(["-o", str(out), "--corpus", str(corpus)]) == 0
    return out


def run_import(capsys, *args) -> tuple[int, str, str]:
    capsys.readouterr()
    code = import_list.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Path, Path]:
    """A small corpus with every kind of file, and the workbook exported from it."""
    base = tmp_path_factory.mktemp("small")
    corpus = full_corpus(base / "corpus", SMALL_IDS, SMALL_REFS)
    return corpus, export(corpus, base / "职责清单.xlsx")


# --------------------------------------------------------------------------- round trips


def test_real_corpus_round_trip_is_byte_identical(tmp_path, capsys):
    real = real_corpus()
    corpus = shutil.copytree(ROOT / "corpus", tmp_path / "corpus")
    before = snapshot(corpus)
    assert set(CORPUS_FILES) < set(before)  # and files the workbook does not hold: left alone below
    capsys.readouterr()
    book = export(corpus, tmp_path / "职责清单.xlsx")
    counts = {"事项": len(real["duties"]), "示例问题": len(real["questions"]), "联系方式": len(real["contacts"]),
              "清单外事项": len(real["referrals"])}
    assert capsys.readouterr().out == f"wrote {book} ({', '.join(f'{k} {n}' for k, n in counts.items())})\n"
    wb = load_workbook(book, read_only=True)
    for sheet, n in counts.items():
        assert sum(1 for row in wb[sheet].iter_rows(min_row=2) if row[0].value) == n, sheet
    wb.close()

    code, out, err = run_import(capsys, book, "--corpus", corpus)
    assert code == 0, err
    for what, n in (("items", len(real["duties"])), ("example questions", len(real["questions"])),
                    ("out-of-list referrals", len(real["referrals"])), ("short names", len(real["short_names"])),
                    ("matters", len(real["matters"])), ("contacts", len(real["contacts"]))):
        assert f"wrote {n} {what} to " in out
    assert snapshot(corpus) == before

    # Into an empty folder: the same files, the matters in the order of their first item's row.
    code, _, err = run_import(capsys, book, "--corpus", tmp_path / "fresh")
    assert code == 0, err
    fresh = snapshot(tmp_path / "fresh")
    assert set(fresh) == set(CORPUS_FILES)
    assert {k: v for k, v in fresh.items() if k != "matters.jsonl"} == \
        {k: v for k, v in before.items() if k in CORPUS_FILES and k != "matters.jsonl"}
    ids = {d.id for d in real["duties"]}
    assert {(m.name, frozenset(m.items)) for m in load_matters(tmp_path / "fresh" / "matters.jsonl", ids)} == \
        {(m.name, frozenset(m.items)) for m in real["matters"]}


def test_every_corpus_file_round_trips_into_an_empty_folder_and_in_place(tmp_path, capsys):
    corpus = full_corpus(tmp_path / "corpus")
    before = snapshot(corpus)
    assert set(before) == set(CORPUS_FILES)
    book = export(corpus, tmp_path / "职责清单.xlsx")
    code, _, err = run_import(capsys, book, "--corpus", tmp_path / "fresh")
    assert code == 0, err
    assert snapshot(tmp_path / "fresh") == before
    code, _, err = run_import(capsys, book, "--corpus", corpus)
    assert code == 0, err
    assert snapshot(corpus) == before


def test_workbook_saved_by_wps_imports_the_same(tmp_path, capsys):
    corpus = full_corpus(tmp_path / "corpus")
    book = export(corpus, tmp_path / "职责清单.xlsx")
    wps = tmp_path / "WPS保存.xlsx"
    save_as_wps(book, wps)
    wb = load_workbook(wps)
    items = wb["事项"]
    assert wb.properties is not None and items.max_row > 288 and items.max_column == 26
    assert items["C2"].value == 1.0 and isinstance(items["C2"].value, float)
    assert items["A1"].value == "编号  " and items["E2"].value.endswith("  ")
    assert any("\r\n" in str(c.value) for c in items["I"])
    assert wb["联系方式"]["B4"].value == 12345
    assert any(p.name == "KSOProductBuildVer" for p in wb.custom_doc_props.props)
    code, _, err = run_import(capsys, wps, "--corpus", tmp_path / "fresh")
    assert code == 0, err
    assert snapshot(tmp_path / "fresh") == snapshot(corpus)


@pytest.mark.skipif(not all((SCRATCH / n).exists() for n in ("contacts.tsv", "matters.jsonl", "short_names.tsv")),
                    reason="the admins' files in /work/scratch are not there")
def test_admins_scratch_files_round_trip(tmp_path, capsys):
    """The files admins are preparing outside the repository (never committed)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(ROOT / "corpus" / "duties.jsonl", corpus / "duties.jsonl")
    for name in ("contacts.tsv", "matters.jsonl", "short_names.tsv", "referrals.jsonl"):
        if (SCRATCH / name).exists():
            shutil.copy(SCRATCH / name, corpus / name)
    # The real questions whose item or referral is there (the admins' referrals may be fewer).
    real = real_corpus()
    known = {d.id for d in real["duties"]} | {r.id for r in load_referrals(corpus / "referrals.jsonl")}
    write_questions(corpus / "questions.jsonl", [q for q in real["questions"] if q.id in known])
    before = snapshot(corpus)
    book = export(corpus, tmp_path / "职责清单.xlsx")
    code, _, err = run_import(capsys, book, "--corpus", corpus)
    assert code == 0, err
    assert snapshot(corpus) == before
    # Into an empty folder the matters come in the order of their first item's row.
    code, _, err = run_import(capsys, book, "--corpus", tmp_path / "fresh")
    assert code == 0, err
    fresh = snapshot(tmp_path / "fresh")
    assert {k: v for k, v in fresh.items() if k != "matters.jsonl"} == \
        {k: v for k, v in before.items() if k != "matters.jsonl"}
    ids = {d.id for d in load_duties(corpus / "duties.jsonl")}
    def as_sets(path: Path) -> set:
        return {(m.name, frozenset(m.items)) for m in load_matters(path, ids)}

    assert as_sets(tmp_path / "fresh" / "matters.jsonl") == as_sets(corpus / "matters.jsonl")


def test_import_keeps_the_order_of_the_matters_and_short_names_it_replaces(tmp_path, capsys):
    corpus = full_corpus(tmp_path / "corpus")
    ids = {d.id for d in load_duties(corpus / "duties.jsonl")}
    matters = load_matters(corpus / "matters.jsonl", ids)
    # Hand-ordered: last matter first, and its main item (the one taken back) first.
    reordered = [Matter(matters[-1].name, tuple(reversed(matters[-1].items)))] + matters[:-1]
    write_matters(corpus / "matters.jsonl", reordered)
    lines = (corpus / "short_names.tsv").read_text(encoding="utf-8").splitlines(keepends=True)
    (corpus / "short_names.tsv").write_text("".join(reversed(lines)), encoding="utf-8")
    before = snapshot(corpus)
    book = export(corpus, tmp_path / "职责清单.xlsx")
    wb = load_workbook(book)
    ws = wb["事项"]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "basic-002")
    ws.cell(row, 13).value = matters[0].name  # a new member of the first matter
    wb.save(book)
    assert run_import(capsys, book, "--corpus", corpus)[0] == 0
    after = load_matters(corpus / "matters.jsonl", ids)
    assert after[0] == reordered[0]
    assert after[1] == Matter(matters[0].name, matters[0].items + ("basic-002",))
    assert after[2:] == reordered[2:]
    assert (corpus / "short_names.tsv").read_bytes() == before["short_names.tsv"]
    code, _, _ = run_import(capsys, book, "--corpus", tmp_path / "fresh")
    assert code == 0
    assert [m.name for m in load_matters(tmp_path / "fresh" / "matters.jsonl", ids)] == [m.name for m in matters]
    assert list(load_short_names(tmp_path / "fresh" / "short_names.tsv", ids)) == \
        sorted(load_short_names(corpus / "short_names.tsv", ids), key=sorted(ids).index)


# --------------------------------------------------------------------------- the workbook itself


def test_workbook_reads_well_on_screen_and_on_paper(small):
    wb = load_workbook(small[1])
    assert wb.sheetnames == ["事项", "示例问题", "联系方式", "清单外事项"]
    items = wb["事项"]
    header = [c.value for c in items[1]]
    assert header == ["编号", "清单", "序号", "类别", "事项名称", "简称", "牵头部门", "部门职责", "本镇职责", "处罚条款",
                      "已停止", "备注", "所属事项"]
    for ws in wb.worksheets:
        assert all(c.font.b for c in ws[1]), ws.title
        assert ws.freeze_panes == "B2"
        assert ws.print_title_rows == "$1:$1"
        assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert all(ws.column_dimensions[c.column_letter].width >= 6 for c in ws[1])
    assert items.page_setup.orientation == "landscape"
    assert wb["示例问题"].page_setup.orientation == "portrait"
    rows = {r[0].value: r for r in items.iter_rows(min_row=2)}
    coop28 = rows["coop-028"]
    assert coop28[1].value == "配合履职事项" and coop28[2].value == 28 and coop28[10].value == "否"
    assert coop28[6].value.split("\n")[:3] == ["市应急管理局", "市自然资源局", "市水利局"]
    assert len(coop28[6].value.split("\n")) == 14
    assert coop28[7].value.startswith("【市应急管理局】\n")
    assert "【市发展和改革委员会、市工业和信息化局】" in coop28[7].value.split("\n")
    assert any(line.startswith("保障：") for line in coop28[7].value.split("\n"))
    assert coop28[7].alignment.wrap_text and coop28[4].alignment.wrap_text
    ended = rows["returned-003"]
    assert ended[1].value == "上级部门收回事项" and ended[10].value == "是" and ended[11].value == "不再开展此项工作。"
    assert rows["basic-048"][5].value == "高龄津贴发放" and rows["basic-048"][12].value == "高龄津贴"
    assert rows["basic-084"][9].value and rows["basic-084"][8].value is None
    questions = {(r[0].value, r[1].value): r for r in wb["示例问题"].iter_rows(min_row=2)}
    assert [c.value for c in questions[("coop-029", "河水漫进院子了找谁")]] == ["coop-029", "河水漫进院子了找谁", "生活", None]
    assert [c.value for c in questions[("basic-048", "老人的高龄补贴这个月没到账")]][2:] == ["使用", "学到"]
    referral = next(r for r in wb["清单外事项"].iter_rows(min_row=2) if r[0].value == "ref-consumer-complaint")
    assert referral[3].value == "12315\n12345" and referral[3].number_format == "@"


def test_department_sections_as_text_read_back_exactly():
    for duty in load_duties(ROOT / "corpus" / "duties.jsonl"):
        assert parse_sections(format_sections(duty.department_duties)) == duty.department_duties, duty.id
    text = "  \n【市民政局、 市财政局】 \n第一条职责  \n保障:经费保障\n\n【市水利局】\n"
    assert parse_sections(text) == [DepartmentSection(["市民政局", "市财政局"], ["第一条职责"], ["经费保障"]),
                                    DepartmentSection(["市水利局"], [], [])]
    with pytest.raises(ValueError, match=r"line 1: expected a line 【部门名称】 before the first duty"):
        parse_sections("第一条职责\n【市民政局】")
    with pytest.raises(ValueError, match=r"line 2: expected department names separated by 、"):
        parse_sections("【市民政局】\n【市民政局、】")
    with pytest.raises(ValueError, match=r"line 2: expected a support point after '保障：'"):
        parse_sections("【市民政局】\n保障：")


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d.town_duties.append("末尾有空格 "), r"coop-001 town_duties: '末尾有空格 ' cannot be written"),
    (lambda d: d.penalties.append("两\n行"), r"coop-001 penalties: '两\\n行' cannot be written"),
    (lambda d: d.department_duties[0].duties.append("【看起来像标题】"), r"would read back as a heading"),
    (lambda d: d.department_duties[0].duties.append("保障：看起来像保障"), r"would read back as a heading or a support"),
    (lambda d: d.department_duties[0].departments.append("甲、乙"), r"department '甲、乙' cannot be written"),
    (lambda d: setattr(d, "title", "控制\x07字符"), r"holds a control character"),
])
def test_export_refuses_what_would_not_read_back_unchanged(tmp_path, change, expected):
    duty = next(d for d in load_duties(ROOT / "corpus" / "duties.jsonl") if d.id == "coop-001")
    change(duty)
    with pytest.raises(CorpusError, match=expected):
        write_workbook(Knowledge(duties=[duty]), tmp_path / "x.xlsx")
    assert not list(tmp_path.iterdir())


def test_export_script_errors(tmp_path, capsys):
    assert export_list.main(["-o", str(tmp_path / "x.xlsx"), "--corpus", str(tmp_path / "nothing")]) == 1
    assert "duties.jsonl: file not found" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        export_list.main(["-o", str(tmp_path / "x.csv"), "--corpus", str(ROOT / "corpus")])
    assert exit_.value.code == 2
    assert not list(tmp_path.iterdir())


# --------------------------------------------------------------------------- edits reach the corpus


def test_edited_cells_reach_the_corpus_files(small, tmp_path, capsys):
    corpus = shutil.copytree(small[0], tmp_path / "corpus")
    wb = load_workbook(small[1])
    items = wb["事项"]
    items["E2"] = "学习贯彻党的创新理论（管理员改过的名称）"
    items["F2"] = "理论学习"
    items["J2"] = "第一条处罚\n第二条处罚"
    items["M3"] = "高龄津贴"  # basic-002 joins a matter
    wb["示例问题"].append(["basic-001", "新来的问题：理论学习归谁管", "生活", "口语"])
    wb["联系方式"].append(["卧牛河镇派出所", "0470-1234567", "镇政府东侧", "全天", ""])
    wb["清单外事项"]["B2"] = "办理护照"
    wb.save(tmp_path / "edited.xlsx")
    code, out, err = run_import(capsys, tmp_path / "edited.xlsx", "--corpus", corpus)
    assert code == 0, err
    duty = load_duties(corpus / "duties.jsonl")[0]
    assert (duty.id, duty.title, duty.penalties) == ("basic-001", "学习贯彻党的创新理论（管理员改过的名称）",
                                                     ["第一条处罚", "第二条处罚"])
    ids = {d.id for d in load_duties(corpus / "duties.jsonl")}
    assert load_short_names(corpus / "short_names.tsv", ids)["basic-001"] == "理论学习"
    assert Matter("高龄津贴", ("basic-048", "returned-009", "basic-002")) in load_matters(corpus / "matters.jsonl", ids)
    last = (corpus / "questions.jsonl").read_text(encoding="utf-8").splitlines()[-1]
    assert json.loads(last) == {"id": "basic-001", "q": "新来的问题：理论学习归谁管", "style": "colloquial", "source": "life"}
    assert (corpus / "contacts.tsv").read_text(encoding="utf-8").endswith("卧牛河镇派出所\t0470-1234567\t镇政府东侧\t全天\t\n")
    assert json.loads((corpus / "referrals.jsonl").read_text(encoding="utf-8").splitlines()[0])["name"] == "办理护照"
    assert "next: scripts/build_index.py" in out
    assert not [p for p in corpus.iterdir() if "tmp" in p.name]


def test_ignored_columns_and_sheets_are_noted(small, tmp_path, capsys):
    corpus = shutil.copytree(small[0], tmp_path / "corpus")
    wb = load_workbook(small[1])
    wb["事项"]["N1"] = "我的批注"
    wb["事项"]["N2"] = "这一列导入时不用"
    wb.create_sheet("草稿")["A1"] = "随手记"
    wb.save(tmp_path / "edited.xlsx")
    code, _, err = run_import(capsys, tmp_path / "edited.xlsx", "--corpus", corpus)
    assert code == 0, err
    assert "note: sheet 事项: column(s) 我的批注 ignored" in err and "note: sheet 草稿 ignored" in err
    assert snapshot(corpus) == snapshot(small[0])


def test_emptied_sheets_and_columns_remove_their_files(small, tmp_path, capsys):
    corpus = shutil.copytree(small[0], tmp_path / "corpus")
    others = [name for name in OTHER_FILES if (ROOT / "corpus" / name).exists()]
    for name in others:
        shutil.copy(ROOT / "corpus" / name, corpus / name)
    wb = load_workbook(small[1])
    for name in ("示例问题", "清单外事项", "联系方式"):
        wb[name].delete_rows(2, wb[name].max_row)
    for row in wb["事项"].iter_rows(min_row=2):
        row[5].value = row[12].value = None
    wb.save(tmp_path / "emptied.xlsx")
    code, out, err = run_import(capsys, tmp_path / "emptied.xlsx", "--corpus", corpus)
    assert code == 0, err
    assert sorted(snapshot(corpus)) == sorted(["contacts.tsv", "duties.jsonl", *others])
    assert (corpus / "contacts.tsv").read_text(encoding="utf-8") == "名称\t电话\t地址\t办公时间\t备注\n"
    assert "removed" in out and "questions.jsonl" in out and "referrals.jsonl" in out
    for name in others:
        assert (corpus / name).read_bytes() == (ROOT / "corpus" / name).read_bytes()


def test_sheets_the_workbook_lacks_leave_their_files_alone(small, tmp_path, capsys):
    corpus = shutil.copytree(small[0], tmp_path / "corpus")
    wb = load_workbook(small[1])
    for name in ("示例问题", "清单外事项", "联系方式"):
        del wb[name]
    wb["事项"].delete_cols(13)
    wb["事项"].delete_cols(6)
    wb["事项"]["D2"] = "党的建设（改）"
    wb.save(tmp_path / "only-items.xlsx")
    code, _, err = run_import(capsys, tmp_path / "only-items.xlsx", "--corpus", corpus)
    assert code == 0, err
    after = snapshot(corpus)
    assert {k: v for k, v in after.items() if k != "duties.jsonl"} == \
        {k: v for k, v in snapshot(small[0]).items() if k != "duties.jsonl"}
    assert load_duties(corpus / "duties.jsonl")[0].category == "党的建设（改）"


# --------------------------------------------------------------------------- questions to referrals


def test_small_workbook_has_questions_to_items_and_to_referrals(small):
    """The fixture corpus covers what the real one has: questions to items and to referrals."""
    ids = [r[0].value for r in load_workbook(small[1], read_only=True)["示例问题"].iter_rows(min_row=2)]
    assert SMALL_REFS | {"ref-passport"} <= set(ids)
    assert sum(i.startswith("ref-") for i in ids) == sum(q.id.startswith("ref-") for q in load_questions(
        small[0] / "questions.jsonl", SMALL_IDS | {r.id for r in load_referrals(small[0] / "referrals.jsonl")}))


def test_questions_may_point_to_referrals_on_the_sheet(small, tmp_path, capsys):
    corpus = shutil.copytree(small[0], tmp_path / "corpus")
    wb = load_workbook(small[1])
    wb["清单外事项"].append(["ref-library", "图书馆办证", "扎兰屯市图书馆", "", "借书证在哪办"])
    wb["示例问题"].append(["ref-library", "想借书 借书证去哪办", "生活", ""])
    wb["示例问题"].append(["ref-funeral", "老人走了 火化找谁联系", "生活", "口语"])
    wb.save(tmp_path / "edited.xlsx")
    code, out, err = run_import(capsys, tmp_path / "edited.xlsx", "--corpus", corpus)
    assert code == 0, err
    referrals = load_referrals(corpus / "referrals.jsonl")
    assert referrals[-1].id == "ref-library" and referrals[-1].questions == ("借书证在哪办",)
    questions = load_questions(corpus / "questions.jsonl", SMALL_IDS | {r.id for r in referrals})
    assert questions[-2:] == [ExampleQuestion("ref-library", "想借书 借书证去哪办", "", "life"),
                              ExampleQuestion("ref-funeral", "老人走了 火化找谁联系", "colloquial", "life")]
    before = load_questions(small[0] / "questions.jsonl", SMALL_IDS | {r.id for r in referrals})
    assert questions[:-2] == before
    assert f"wrote {len(before) + 2} example questions" in out and f"wrote {len(referrals)} out-of-list" in out


def test_without_the_referral_sheet_questions_point_to_referrals_jsonl(small, tmp_path, capsys):
    corpus = shutil.copytree(small[0], tmp_path / "corpus")
    wb = load_workbook(small[1])
    wb.remove(wb["清单外事项"])
    wb["示例问题"].append(["ref-power-outage", "屯里停电一整天了", "生活", ""])
    wb.save(tmp_path / "no-referrals.xlsx")
    # Without a corpus to look in, read_workbook leaves a ref-… 编号 to write_corpus's check.
    knowledge, _ = read_workbook(tmp_path / "no-referrals.xlsx")
    assert knowledge.referrals is None and knowledge.questions[-1].id == "ref-power-outage"
    code, _, err = run_import(capsys, tmp_path / "no-referrals.xlsx", "--corpus", corpus)
    assert code == 0, err
    assert (corpus / "referrals.jsonl").read_bytes() == (small[0] / "referrals.jsonl").read_bytes()
    last = (corpus / "questions.jsonl").read_text(encoding="utf-8").splitlines()[-1]
    assert json.loads(last) == {"id": "ref-power-outage", "q": "屯里停电一整天了", "source": "life"}
    # Where there is no referrals.jsonl, a question to a referral has nothing to point to.
    (corpus / "referrals.jsonl").unlink()
    kept = snapshot(corpus)
    code, _, err = run_import(capsys, tmp_path / "no-referrals.xlsx", "--corpus", corpus)
    assert code == 1
    assert re.search(r"sheet 示例问题, row \d+, column 编号 \(A\): expected the 编号 of an item on sheet 事项 or of a "
                     r"referral in referrals\.jsonl \(the workbook has no sheet 清单外事项\), got 'ref-", err), err
    assert snapshot(corpus) == kept


@pytest.mark.parametrize("broken", ["header", "file"])
def test_unreadable_referrals_are_one_problem_not_one_per_question(small, tmp_path, broken):
    corpus = shutil.copytree(small[0], tmp_path / "corpus")
    wb = load_workbook(small[1])
    if broken == "header":
        wb["清单外事项"].delete_cols(2)
        expected = r"^sheet 清单外事项, row 1: missing column\(s\) 名称; "
    else:
        wb.remove(wb["清单外事项"])
        with (corpus / "referrals.jsonl").open("a", encoding="utf-8") as f:
            f.write('{"id": "passport", "name": "x", "where": "y"}\n')
        expected = r"referrals\.jsonl:\d+: .*\(kept as it is: the workbook has no sheet 清单外事项\)$"
    wb.save(tmp_path / "bad.xlsx")
    with pytest.raises(WorkbookError) as err:
        read_workbook(tmp_path / "bad.xlsx", CorpusFiles.in_dir(corpus))
    assert len(err.value.problems) == 1 and re.search(expected, err.value.problems[0]), err.value.problems


# --------------------------------------------------------------------------- bad workbooks


def _cell(wb, sheet: str, ref: str, value):
    wb[sheet][ref] = value


def _row_of(ws, first: str) -> int:
    """The row whose first cell (编号) is `first`."""
    return next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == first)


BAD = {
    "missing sheet": (lambda wb: setattr(wb["事项"], "title", "Sheet1"),
                      r"missing sheet 事项 \(the items of the list\); the workbook has Sheet1、示例问题"),
    "missing column": (lambda wb: wb["事项"].delete_cols(5),
                       r"sheet 事项, row 1: missing column\(s\) 事项名称; expected the header 编号 \| 清单"),
    "missing question column": (lambda wb: wb["示例问题"].delete_cols(3), r"sheet 示例问题, row 1: missing column\(s\) 来源"),
    "header twice": (lambda wb: _cell(wb, "事项", "N1", "编号"), r"sheet 事项, row 1: column 编号 appears twice \(A and N\)"),
    "duplicate 编号": (lambda wb: [_cell(wb, "事项", "A3", "basic-001"), _cell(wb, "事项", "C3", 1)],
                     r"sheet 事项, row 3, column 编号 \(A\): duplicate 编号 'basic-001' \(also on row 2\)"),
    "malformed 编号": (lambda wb: _cell(wb, "事项", "A2", "basic-1"),
                     r"sheet 事项, row 2, column 编号 \(A\): expected 'basic-001' for 清单 基本履职事项, 序号 1, got 'basic-1'"),
    "编号 of another list": (lambda wb: _cell(wb, "事项", "B2", "配合履职事项"),
                          r"row 2, column 编号 \(A\): expected 'coop-001' for 清单 配合履职事项, 序号 1, got 'basic-001'"),
    "empty 编号": (lambda wb: _cell(wb, "事项", "A2", None), r"row 2, column 编号 \(A\): expected a value, got an empty cell"),
    "unknown 清单": (lambda wb: _cell(wb, "事项", "B2", "基本事项"),
                   r"row 2, column 清单 \(B\): expected 基本履职事项、配合履职事项、上级部门收回事项, got '基本事项'"),
    "序号 not a number": (lambda wb: _cell(wb, "事项", "C2", "一"), r"row 2, column 序号 \(C\): expected a whole number, got '一'"),
    "序号 a fraction": (lambda wb: _cell(wb, "事项", "C2", 1.5), r"row 2, column 序号 \(C\): expected a whole number, got 1.5"),
    "empty 类别": (lambda wb: _cell(wb, "事项", "D2", "  "), r"row 2, column 类别 \(D\): expected a value, got an empty cell"),
    "empty 事项名称": (lambda wb: _cell(wb, "事项", "E2", None),
                     r"sheet 事项, row 2, column 事项名称 \(E\): expected a value, got an empty cell"),
    "事项名称 on two lines": (lambda wb: _cell(wb, "事项", "E2", "第一行\n第二行"), r"column 事项名称 \(E\): expected one line, got 2"),
    "formula": (lambda wb: _cell(wb, "事项", "E2", "=D2&\"工作\""), r"row 2, column 事项名称 \(E\): expected text, got"),
    "error value": (lambda wb: _cell(wb, "事项", "L2", "#N/A"), r"row 2, column 备注 \(L\): expected a value, got the error"),
    "部门职责 without a heading": (lambda wb: _cell(wb, "事项", "H9", "负责舆情处置\n【市委宣传部】"),
                              r"row 9, column 部门职责 \(H\): line 1: expected a line 【部门名称】 before the first duty"),
    "已停止 neither": (lambda wb: _cell(wb, "事项", "K2", "可能"), r"column 已停止 \(K\): expected 是、否 or an empty cell, got '可能'"),
    "简称 too long": (lambda wb: _cell(wb, "事项", "F2", "学习贯彻党的创新理论和重要指示精神"),
                    r"column 简称 \(F\): expected a short name of at most 12 characters"),
    "简称 twice": (lambda wb: _cell(wb, "事项", "F3", "政治建设理论学习"),
                 r"row 3, column 简称 \(F\): short name '政治建设理论学习' is already used by basic-001 \(row 2\)"),
    "matter of one item": (lambda wb: _cell(wb, "事项", "M2", "理论学习"),
                           r"row 2, column 所属事项 \(M\): '理论学习' is the 所属事项 of this item only"),
    "question to an unknown 编号": (lambda wb: _cell(wb, "示例问题", "A2", "basic-999"),
                                (r"sheet 示例问题, row 2, column 编号 \(A\): expected the 编号 of an item on sheet 事项 "
                                r"or of a referral on sheet 清单外事项, got 'basic-999'")),
    "question to an unknown referral": (lambda wb: _cell(wb, "示例问题", "A2", "ref-nowhere"),
                                        (r"sheet 示例问题, row 2, column 编号 \(A\): expected the 编号 of an item on sheet "
                                        r"事项 or of a referral on sheet 清单外事项, got 'ref-nowhere'")),
    "question to a referral taken off its sheet": (
        lambda wb: wb["清单外事项"].delete_rows(_row_of(wb["清单外事项"], "ref-funeral")),
        (r"sheet 示例问题, row \d+, column 编号 \(A\): expected the 编号 of an item on sheet 事项 or of a referral "
         r"on sheet 清单外事项, got 'ref-funeral'")),
    "question to a referral referrals.jsonl lacks": (
        lambda wb: [wb.remove(wb["清单外事项"]), _cell(wb, "示例问题", "A2", "ref-nowhere")],
        (r"sheet 示例问题, row 2, column 编号 \(A\): expected the 编号 of an item on sheet 事项 or of a referral "
         r"in referrals\.jsonl \(the workbook has no sheet 清单外事项\), got 'ref-nowhere'")),
    "empty question": (lambda wb: _cell(wb, "示例问题", "B2", None), r"sheet 示例问题, row 2, column 问题 \(B\): expected a value"),
    "unknown 来源": (lambda wb: _cell(wb, "示例问题", "C2", "网上"),
                   r"sheet 示例问题, row 2, column 来源 \(C\): expected 清单、生活、使用 or an empty cell, got '网上'"),
    "contact phone": (lambda wb: _cell(wb, "联系方式", "B2", "电话待填"),
                      r"sheet 联系方式, row 2, column 电话 \(B\): expected digits, '-', spaces, '\+' or parentheses"),
    "contact twice": (lambda wb: _cell(wb, "联系方式", "A3", "卧牛河镇人民政府"),
                      r"sheet 联系方式, row 3, column 名称 \(A\): duplicate 名称 '卧牛河镇人民政府' \(also on row 2\)"),
    "contact without a name": (lambda wb: _cell(wb, "联系方式", "A3", None),
                               r"sheet 联系方式, row 3, column 名称 \(A\): expected the office's name"),
    "referral 编号": (lambda wb: _cell(wb, "清单外事项", "A2", "passport"),
                    r"sheet 清单外事项, row 2, column 编号 \(A\): expected 'ref-' and lower-case letters"),
    "referral phone": (lambda wb: _cell(wb, "清单外事项", "D2", "12367\n0470-123"),
                       (r"sheet 清单外事项, row 2, column 电话 \(D\): expected a list of phone numbers \(digits only\), "
                       r"got the entry '0470-123'")),
    "referral name": (lambda wb: _cell(wb, "清单外事项", "B2", "出国护照和港澳通行证的办理"),
                      r"sheet 清单外事项, row 2, column 名称 \(B\): expected at most 12 characters"),
    "referral twice": (lambda wb: _cell(wb, "清单外事项", "A3", "ref-passport"),
                       r"sheet 清单外事项, row 3, column 编号 \(A\): duplicate 编号 'ref-passport' \(also on row 2\)"),
    "two problems": (lambda wb: [_cell(wb, "事项", "E2", None), _cell(wb, "示例问题", "A5", "coop-999")],
                     (r": 2 problems:\n  sheet 事项, row 2, column 事项名称 \(E\): expected a value, got an empty cell\n"
                     r"  sheet 示例问题, row 5, column 编号 \(A\)")),
    "a kept file no longer fits": (lambda wb: [wb.remove(wb["示例问题"]), wb["事项"].delete_rows(2)],
                                   (r"questions\.jsonl:1: unknown item id 'basic-001' \(this file is kept as it is: "
                                   r"the workbook has no sheet or column for it\)")),
    "kept questions to an emptied referral sheet": (
        lambda wb: [wb.remove(wb["示例问题"]), wb["清单外事项"].delete_rows(2, wb["清单外事项"].max_row)],
        (r"questions\.jsonl:\d+: unknown item id 'ref-[a-z-]+' \(this file is kept as it is: "
         r"the workbook has no sheet or column for it\)")),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_workbooks_stop_with_sheet_row_and_column_and_write_nothing(small, tmp_path, capsys, case):
    change, expected = BAD[case]
    corpus = shutil.copytree(small[0], tmp_path / "corpus")
    wb = load_workbook(small[1])
    change(wb)
    wb.save(tmp_path / "bad.xlsx")
    code, out, err = run_import(capsys, tmp_path / "bad.xlsx", "--corpus", corpus)
    assert code == 1
    assert err.startswith(f"error: {tmp_path / 'bad.xlsx'}: ") or case.startswith(("a kept file", "kept questions"))
    assert err.rstrip().endswith("; nothing written") and "Traceback" not in err
    assert re.search(expected, err), err
    assert out == ""
    assert snapshot(corpus) == snapshot(small[0])


def _zip_without_workbook(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "这不是工作簿")


def _truncated(path: Path, small) -> None:
    path.write_bytes(small[1].read_bytes()[:2000])


@pytest.mark.parametrize(("make", "expected"), [
    (lambda p, s: p.write_text("编号\t事项名称\nbasic-001\t学习\n", encoding="utf-8"), r"not an Excel workbook \(\.xlsx\)"),
    (lambda p, s: p.write_bytes(b""), r"not an Excel workbook"),
    (lambda p, s: _zip_without_workbook(p), r"not a readable Excel workbook \(KeyError"),
    (_truncated, r"not (a readable|an) Excel workbook"),
])
def test_files_that_are_not_workbooks(small, tmp_path, capsys, make, expected):
    corpus = shutil.copytree(small[0], tmp_path / "corpus")
    make(tmp_path / "清单.xlsx", small)
    code, out, err = run_import(capsys, tmp_path / "清单.xlsx", "--corpus", corpus)
    assert code == 1 and out == ""
    assert re.search(r"^error: .*清单\.xlsx: " + expected + r".*save it as Excel 工作簿 \(\*\.xlsx\); nothing written$",
                                   err.strip()), err
    assert snapshot(corpus) == snapshot(small[0])


def test_read_workbook_lists_every_problem(small, tmp_path):
    wb = load_workbook(small[1])
    for row in range(2, 40):
        wb["示例问题"].cell(row, 1).value = f"basic-9{row:02d}"
    wb.save(tmp_path / "bad.xlsx")
    with pytest.raises(WorkbookError) as err:
        read_workbook(tmp_path / "bad.xlsx")
    assert len(err.value.problems) == 38
    assert str(err.value).startswith(f"{tmp_path / 'bad.xlsx'}: 38 problems:\n")
    assert str(err.value).endswith("… and 8 more")


def test_script_options_for_a_workbook(small, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        import_list.main([str(small[1]), "-o", str(tmp_path / "duties.jsonl")])
    assert exit_.value.code == 2
    assert "-o is for the published text" in capsys.readouterr().err
    code, _, err = run_import(capsys, tmp_path / "missing.xlsx", "--corpus", tmp_path / "c")
    assert code == 2 and "missing.xlsx: file not found" in err
    assert not (tmp_path / "c").exists()


def test_an_old_xls_file_is_named_not_parsed(tmp_path, capsys):
    (tmp_path / "清单.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)))
    code, _, err = run_import(capsys, tmp_path / "清单.xls", "-o", tmp_path / "duties.jsonl")
    assert code == 1 and "not UTF-8 text (a workbook is read only from an .xlsx file); nothing written" in err
    assert not (tmp_path / "duties.jsonl").exists()


def test_text_source_still_imports_with_o_and_with_corpus(tmp_path, capsys):
    source = ROOT / "corpus" / "source" / "000_abfaf3bcc1fa4131.txt"
    code, out, _ = run_import(capsys, source, "-o", tmp_path / "a" / "duties.jsonl")
    assert code == 0 and out.startswith("wrote 287 items to")
    code, _, _ = run_import(capsys, source, "--corpus", tmp_path / "b")
    assert code == 0
    assert (tmp_path / "a" / "duties.jsonl").read_bytes() == (tmp_path / "b" / "duties.jsonl").read_bytes() == \
        (ROOT / "corpus" / "duties.jsonl").read_bytes()


def test_write_corpus_leaves_nothing_behind_when_a_check_fails(small, tmp_path):
    corpus = shutil.copytree(small[0], tmp_path / "corpus")
    knowledge = read_corpus(CorpusFiles.in_dir(corpus))
    knowledge.questions = None  # the kept questions.jsonl points to items that are gone
    knowledge.duties = [d for d in knowledge.duties if d.id != "coop-029"]
    knowledge.matters = knowledge.short_names = None
    with pytest.raises(CorpusError, match=r"questions\.jsonl:\d+: unknown item id 'coop-029'"):
        write_corpus(knowledge, CorpusFiles.in_dir(corpus))
    assert snapshot(corpus) == snapshot(small[0])
