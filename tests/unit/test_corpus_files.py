"""bot.corpus.referrals, matters, contacts and short_names: good files, each kind of bad
line (named by file:line), BOM and other encodings, missing versus empty files, and
writers that give back the bytes they read (on the fixtures in tests/fixtures/corpus_extra)."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.corpus.contacts import Contact, load_contacts, write_contacts
from bot.corpus.matters import Matter, load_matters, write_matters
from bot.corpus.model import CorpusError, load_duties
from bot.corpus.outside import OutsideQuestion, load_outside
from bot.corpus.referrals import Referral, load_referrals, write_referrals
from bot.corpus.short_names import load_short_names, write_short_names

FIXTURES = ROOT / "tests" / "fixtures" / "corpus_extra"
KNOWN = {"basic-001", "basic-048", "coop-059", "coop-060", "returned-009", "returned-078"}
ALL_IDS = {d.id for d in load_duties(ROOT / "corpus" / "duties.jsonl")}


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# --------------------------------------------------------------------------- off-list questions

def test_off_list_questions_read(tmp_path):
    path = write(tmp_path, "out_of_list.jsonl",
                 '{"q": " 党员积分平台账号找谁开 ", "gold": [], "note": "旗县委组织部"}\n\n{"q": "采砂许可证"}\n')
    assert load_outside(path) == [OutsideQuestion("党员积分平台账号找谁开", "旗县委组织部"), OutsideQuestion("采砂许可证")]
    assert load_outside(tmp_path / "missing.jsonl") == []
    assert len(load_outside(ROOT / "corpus" / "out_of_list.jsonl")) > 500


@pytest.mark.parametrize(("line", "expected"), [
    ('{"q": ""}', r"field 'q': expected a non-empty string"),
    ('{"gold": []}', r"field 'q': expected a non-empty string, got None"),
    ('{"q": "低保咋申请", "gold": ["basic-052"]}', r"field 'gold': expected \[\].*belongs in questions\.jsonl"),
    ('{"q": "采砂许可证", "note": 3}', r"field 'note': expected a string"),
    ('{"q": "采砂许可证", "id": "basic-001"}', r"unexpected field 'id'"),
    ('{"q": "电费咋交"}', r"the question '电费咋交' is already at .*:1"),
    ('{"q": "电费', r"not valid JSON"),
])
def test_bad_off_list_lines_are_named(tmp_path, line, expected):
    path = write(tmp_path, "out_of_list.jsonl", f'{{"q": "电费咋交", "gold": []}}\n\n{line}\n')
    with pytest.raises(CorpusError, match=r"out_of_list\.jsonl:3: " + expected):
        load_outside(path)


# --------------------------------------------------------------------------- referrals

GOOD_REFERRAL = ('{"id": "ref-passport", "name": "办护照", "where": "市公安局出入境管理大队", '
                 '"numbers": ["12367"], "questions": ["出国护照去哪办"]}')


def test_referrals_read():
    referrals = load_referrals(FIXTURES / "referrals.jsonl")
    assert referrals[0] == Referral("ref-passport", "办护照", "扎兰屯市公安局出入境管理大队（市政务服务中心公安窗口）",
                                    ("12367",), ("出国要办护照去哪办", "港澳通行证在哪里办"))
    assert referrals[3].questions == ()
    assert referrals[4].numbers == ("12315", "12345")


def test_referral_numbers_and_questions_may_be_left_out(tmp_path):
    path = write(tmp_path, "referrals.jsonl", '{"id": "ref-x", "name": "某事", "where": " 某处 "}\n')
    assert load_referrals(path) == [Referral("ref-x", "某事", "某处")]


@pytest.mark.parametrize(("line", "expected"), [
    ('{"id": "passport", "name": "办护照", "where": "某处"}', r"field 'id': expected 'ref-'"),
    ('{"id": "ref-Passport", "name": "办护照", "where": "某处"}', r"field 'id': expected 'ref-'"),
    ('{"id": "ref-", "name": "办护照", "where": "某处"}', r"field 'id': expected 'ref-'"),
    ('{"id": 7, "name": "办护照", "where": "某处"}', r"field 'id': expected 'ref-'"),
    ('{"id": "ref-passport", "name": "办", "where": "某处"}', r"duplicate id 'ref-passport' \(first at .*:1\)"),
    ('{"id": "ref-x", "where": "某处"}', r"field 'name': expected a non-empty string, got None"),
    ('{"id": "ref-x", "name": " ", "where": "某处"}', r"field 'name': expected a non-empty string"),
    ('{"id": "ref-x", "name": "出国护照和港澳通行证的办理", "where": "某处"}', r"field 'name': expected at most 12 characters, got 13"),
    ('{"id": "ref-x", "name": "办护照", "where": ""}', r"field 'where': expected a non-empty string"),
    ('{"id": "ref-x", "name": "办护照", "where": ["某处"]}', r"field 'where': expected a non-empty string"),
    ('{"id": "ref-x", "name": "办护照", "where": "某处", "numbers": "12367"}', r"field 'numbers': expected a list"),
    ('{"id": "ref-x", "name": "办护照", "where": "某处", "numbers": [12367]}', r"field 'numbers': .* got the entry 12367"),
    ('{"id": "ref-x", "name": "办护照", "where": "某处", "numbers": ["0470-1234567"]}', r"field 'numbers': .*digits only"),
    ('{"id": "ref-x", "name": "办护照", "where": "某处", "questions": "去哪办"}', r"field 'questions': expected a list"),
    ('{"id": "ref-x", "name": "办护照", "where": "某处", "questions": [""]}', r"field 'questions': .* got the entry ''"),
    ('{"id": "ref-x", "name": "办护照", "where": "某处", "phone": "12367"}', r"unexpected field 'phone'"),
    ('{"id": "ref-x", "name": "办护照"', r"not valid JSON"),
    ('"ref-x"', r"expected a JSON object"),
])
def test_bad_referral_lines_are_named(tmp_path, line, expected):
    path = write(tmp_path, "referrals.jsonl", f"{GOOD_REFERRAL}\n\n{line}\n")
    with pytest.raises(CorpusError, match=r"referrals\.jsonl:3: " + expected):
        load_referrals(path)


def test_referrals_missing_empty_bom_and_encoding(tmp_path):
    assert load_referrals(tmp_path / "referrals.jsonl") == []
    path = write(tmp_path, "referrals.jsonl", "\n")
    with pytest.raises(CorpusError, match=r"referrals\.jsonl: file is empty"):
        load_referrals(path)
    path = write(tmp_path, "referrals.jsonl", GOOD_REFERRAL + "\r\n", "utf-8-sig")
    assert load_referrals(path)[0].id == "ref-passport"
    path = write(tmp_path, "referrals.jsonl", GOOD_REFERRAL + "\n", "gb18030")
    with pytest.raises(CorpusError, match=r"referrals\.jsonl: not UTF-8 text"):
        load_referrals(path)


def test_referrals_write_round_trip(tmp_path):
    out = tmp_path / "referrals.jsonl"
    write_referrals(out, load_referrals(FIXTURES / "referrals.jsonl"))
    assert out.read_bytes() == (FIXTURES / "referrals.jsonl").read_bytes()
    write_referrals(out, [Referral("ref-x", "某事", "某处")])
    assert out.read_text(encoding="utf-8") == \
        '{"id": "ref-x", "name": "某事", "where": "某处", "numbers": [], "questions": []}\n'
    with pytest.raises(ValueError, match="no referrals"):
        write_referrals(out, [])


# --------------------------------------------------------------------------- matters

def test_matters_read():
    matters = load_matters(FIXTURES / "matters.jsonl", ALL_IDS)
    assert matters[1:] == [Matter("高龄津贴", ("basic-048", "returned-009")), Matter("安全生产", ("coop-022", "returned-020")),
                           Matter("林木采伐", ("coop-059", "coop-060", "returned-078"))]


@pytest.mark.parametrize(("line", "expected"), [
    ('{"name": "林木采伐", "items": ["coop-059", "basic-999"]}', r"field 'items': unknown item id 'basic-999'"),
    ('{"name": "林木采伐", "items": ["coop-059"]}', r"field 'items': expected at least 2 item ids, got 1"),
    ('{"name": "林木采伐", "items": "coop-059 coop-060"}', r"field 'items': expected a list of item ids"),
    ('{"name": "林木采伐", "items": ["coop-059", 60]}', r"field 'items': expected a list of item ids"),
    ('{"name": "林木采伐", "items": ["coop-059", "coop-059"]}', r"field 'items': 'coop-059' listed twice"),
    ('{"name": "", "items": ["coop-059", "coop-060"]}', r"field 'name': expected a non-empty string"),
    ('{"items": ["coop-059", "coop-060"]}', r"field 'name': expected a non-empty string"),
    ('{"name": "高龄津贴", "items": ["coop-059", "coop-060"]}', r"duplicate name '高龄津贴' \(first at .*:1\)"),
    ('{"name": "林木", "items": ["coop-059", "returned-009"]}',
     r"item 'returned-009' is already in matter '高龄津贴' \(.*:1\)"),
    ('{"name": "林木采伐", "items": ["coop-059", "coop-060"], "note": ""}', r"unexpected field 'note'"),
])
def test_bad_matter_lines_are_named(tmp_path, line, expected):
    path = write(tmp_path, "matters.jsonl", '{"name": "高龄津贴", "items": ["basic-048", "returned-009"]}\n' + line)
    with pytest.raises(CorpusError, match=r"matters\.jsonl:2: " + expected):
        load_matters(path, KNOWN)


def test_matters_missing_empty_bom_and_encoding(tmp_path):
    assert load_matters(tmp_path / "matters.jsonl", KNOWN) == []
    with pytest.raises(CorpusError, match=r"matters\.jsonl: file is empty"):
        load_matters(write(tmp_path, "matters.jsonl", ""), KNOWN)
    text = '{"name": "高龄津贴", "items": ["basic-048", "returned-009"]}\n'
    assert load_matters(write(tmp_path, "matters.jsonl", text, "utf-8-sig"), KNOWN)[0].name == "高龄津贴"
    with pytest.raises(CorpusError, match=r"matters\.jsonl: not UTF-8 text"):
        load_matters(write(tmp_path, "matters.jsonl", text, "utf-16"), KNOWN)


def test_matters_write_round_trip(tmp_path):
    out = tmp_path / "matters.jsonl"
    write_matters(out, load_matters(FIXTURES / "matters.jsonl", ALL_IDS))
    assert out.read_bytes() == (FIXTURES / "matters.jsonl").read_bytes()
    with pytest.raises(ValueError, match="no matters"):
        write_matters(out, [])


# --------------------------------------------------------------------------- contacts

HEADER = "名称\t电话\t地址\t办公时间\t备注\n"


def test_contacts_read():
    contacts = load_contacts(FIXTURES / "contacts.tsv")
    assert contacts[0] == Contact("卧牛河镇人民政府", "", "", "周一至周五 8:30-12:00 14:30-17:30", "镇政府总机；电话待管理员填写")
    assert contacts[1].note == '"一站式"便民服务、帮办代办（basic-107）'
    assert contacts[2] == Contact("扎兰屯市12345政务服务便民热线", "12345", "", "全天", "")


def test_contacts_as_excel_saves_them(tmp_path):
    """BOM, CRLF, short rows, trailing empty cells, padded cells and Excel-quoted cells."""
    text = ("名称\t电话\t地址\t办公时间\t备注\t\r\n"
            "市民政局\t0470-3221234 \t\r\n"
            " 镇便民服务中心\t(0470) 3220000\t镇政府一楼\t周一至周五\t\"\"\"一站式\"\"服务\"\r\n"
            "\t\t\t\t\r\n"
            "市供电公司\t+86 95598\t\t\t\"报修\"\r\n")
    assert load_contacts(write(tmp_path, "contacts.tsv", text, "utf-8-sig")) == [
        Contact("市民政局", "0470-3221234"),
        Contact("镇便民服务中心", "(0470) 3220000", "镇政府一楼", "周一至周五", '"一站式"服务'),
        Contact("市供电公司", "+86 95598", "", "", "报修"),
    ]


@pytest.mark.parametrize(("row", "expected"), [
    ("\t12345\t\t\t", r"名称: expected the office's name"),
    ("市民政局\t电话待填\t\t\t", r"电话: expected digits, '-', spaces, '\+' or parentheses, got '电话待填'"),
    ("市民政局\t12345转8\t\t\t", r"电话: expected digits"),
    ("市民政局\t---\t\t\t", r"电话: expected digits"),
    ("市民政局\t12345\t\t\t\t多出来的", r"expected 5 tab-separated columns"),
    ("卧牛河镇人民政府\t12345\t\t\t", r"duplicate name '卧牛河镇人民政府' \(first on line 2\)"),
])
def test_bad_contact_rows_are_named(tmp_path, row, expected):
    path = write(tmp_path, "contacts.tsv", HEADER + "卧牛河镇人民政府\t\t\t\t\n" + row + "\n")
    with pytest.raises(CorpusError, match=r"contacts\.tsv:3: " + expected):
        load_contacts(path)


@pytest.mark.parametrize("header", ["名称\t电话\t地址\t办公时间\n", "名称\t电话\t地址\t时间\t备注\n",
                                    "卧牛河镇人民政府\t\t\t\t\n"])
def test_contacts_need_the_exact_header(tmp_path, header):
    with pytest.raises(CorpusError, match=r"contacts\.tsv:1: expected the header 名称<TAB>电话"):
        load_contacts(write(tmp_path, "contacts.tsv", header))


def test_contacts_missing_empty_header_only_and_encoding(tmp_path):
    assert load_contacts(tmp_path / "contacts.tsv") == []
    with pytest.raises(CorpusError, match=r"contacts\.tsv: file is empty"):
        load_contacts(write(tmp_path, "contacts.tsv", "\r\n"))
    assert load_contacts(write(tmp_path, "contacts.tsv", HEADER)) == []
    with pytest.raises(CorpusError, match=r"contacts\.tsv: not UTF-8 text"):
        load_contacts(write(tmp_path, "contacts.tsv", HEADER + "市民政局\t\t\t\t\n", "gbk"))


def test_contacts_write_round_trip(tmp_path):
    out = tmp_path / "contacts.tsv"
    write_contacts(out, load_contacts(FIXTURES / "contacts.tsv"))
    assert out.read_bytes() == (FIXTURES / "contacts.tsv").read_bytes()
    tricky = [Contact("甲", note='"整格带引号"'), Contact("乙", note='半个"引号'), Contact("丙", address='""')]
    write_contacts(out, tricky)
    assert load_contacts(out) == tricky
    write_contacts(out, [])
    assert out.read_text(encoding="utf-8") == HEADER
    with pytest.raises(ValueError, match="tab or a line break"):
        write_contacts(out, [Contact("甲", note="两\n行")])


# --------------------------------------------------------------------------- short names

def test_short_names_read_with_comments(tmp_path):
    path = write(tmp_path, "short_names.tsv", "# 按钮上显示的简称\nbasic-001\t 政治建设理论学习 \n\ncoop-059\t集体林地采伐更新\n")
    assert load_short_names(path, KNOWN) == {"basic-001": "政治建设理论学习", "coop-059": "集体林地采伐更新"}
    assert list(load_short_names(FIXTURES / "short_names.tsv", ALL_IDS))[:2] == ["basic-001", "basic-002"]


@pytest.mark.parametrize(("line", "expected"), [
    ("basic-999\t不存在", r"unknown item id 'basic-999'"),
    ("basic-001\t再来一个", r"'basic-001' already has a short name \(line 1\)"),
    ("coop-059\t政治建设理论学习", r"short name '政治建设理论学习' is already used by 'basic-001' \(line 1\)"),
    ("coop-059\t集体林地采伐更新许可证核发", r"expected a short name of at most 12 characters, got 13"),
    ("coop-059\t ", r"expected a short name, got an empty one"),
    ("coop-059", r"expected 'id<TAB>short name', got 1 tab-separated fields"),
    ("coop-059\t林地\t采伐", r"expected 'id<TAB>short name', got 3"),
    ("coop-059 集体林地采伐", r"expected 'id<TAB>short name'"),
])
def test_bad_short_name_lines_are_named(tmp_path, line, expected):
    path = write(tmp_path, "short_names.tsv", "basic-001\t政治建设理论学习\n" + line + "\n")
    with pytest.raises(CorpusError, match=r"short_names\.tsv:2: " + expected):
        load_short_names(path, KNOWN)


def test_short_names_missing_empty_bom_and_encoding(tmp_path):
    assert load_short_names(tmp_path / "short_names.tsv", KNOWN) == {}
    for text in ("", "# 只有注释\n"):
        with pytest.raises(CorpusError, match=r"short_names\.tsv: file is empty"):
            load_short_names(write(tmp_path, "short_names.tsv", text), KNOWN)
    path = write(tmp_path, "short_names.tsv", "basic-001\t政治建设理论学习\r\n", "utf-8-sig")
    assert load_short_names(path, KNOWN) == {"basic-001": "政治建设理论学习"}
    with pytest.raises(CorpusError, match=r"short_names\.tsv: not UTF-8 text"):
        load_short_names(write(tmp_path, "short_names.tsv", "basic-001\t政治建设理论学习\n", "gbk"), KNOWN)


def test_short_names_write_round_trip(tmp_path):
    out = tmp_path / "short_names.tsv"
    write_short_names(out, load_short_names(FIXTURES / "short_names.tsv", ALL_IDS))
    assert out.read_bytes() == (FIXTURES / "short_names.tsv").read_bytes()
    with pytest.raises(ValueError, match="no short names"):
        write_short_names(out, {})


# --------------------------------------------------------------------------- the admins' own files

SCRATCH = Path("/work/scratch")


@pytest.mark.parametrize(("name", "load", "write_back"), [
    ("contacts.tsv", load_contacts, write_contacts),
    ("matters.jsonl", lambda p: load_matters(p, ALL_IDS), write_matters),
    ("short_names.tsv", lambda p: load_short_names(p, ALL_IDS), write_short_names),
    ("referrals.jsonl", load_referrals, write_referrals),
])
def test_scratch_files_when_present_read_and_write_back_unchanged(tmp_path, name, load, write_back):
    """Files admins are preparing outside the repository (not committed); skipped when absent."""
    if not (SCRATCH / name).exists():
        pytest.skip(f"no {SCRATCH / name}")
    shutil.copy(SCRATCH / name, tmp_path / "in")
    write_back(tmp_path / "out", load(tmp_path / "in"))
    assert (tmp_path / "out").read_bytes() == (SCRATCH / name).read_bytes()
