"""Tests for bot/importer.py and scripts/import_list.py (fast, no model needed).

Two groups:
  * the real published list in corpus/source/ (counts, merged page-break items,
    shared department headings, ended items, penalties, cleaning, determinism);
  * small hand-written sources, each exercising one quirk of the extraction or
    one error the importer must report with its line number.
"""
from __future__ import annotations

import difflib
import re
import subprocess
import sys
from collections import Counter
from dataclasses import asdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the package is not installed in the venv
    sys.path.insert(0, str(ROOT))

from bot.corpus.importer import SourceError, parse_file, parse_source, split_points  # noqa: E402
from bot.corpus.model import LISTS, Duty, load_duties, make_id  # noqa: E402

SOURCE = ROOT / "corpus" / "source" / "000_abfaf3bcc1fa4131.txt"
DUTIES = ROOT / "corpus" / "duties.jsonl"
SCRIPT = ROOT / "scripts" / "import_list.py"

LIST_KEY = {"基本履职事项": "basic", "配合履职事项": "coop", "上级部门收回事项": "returned"}
# Parsed here independently of the importer's own regexes.
TEST_LIST_TITLE = re.compile(r"(基本履职事项|配合履职事项|上级部门收回事项)清单（(\d+)项）\s*$")
TEST_HEADING = re.compile(r"[一二三四五六七八九十]+、(\S+?)（(\d+)项）")
ENDED_IDS = {"returned-003", "returned-005", "returned-006", "returned-012", "returned-013", "returned-030"}
MULTI_ROW_IDS = {"coop-008", "coop-028", "coop-029"}


# --------------------------------------------------------------------------- helpers


def source_lines() -> list[str]:
    return SOURCE.read_text(encoding="utf-8").splitlines()


def source_rows() -> dict[str, list[tuple[int, list[str]]]]:
    """Item id -> [(lineno, cells)] for every numbered row of the real source."""
    rows: dict[str, list[tuple[int, list[str]]]] = {}
    key = None
    for lineno, line in enumerate(source_lines(), 1):
        m = TEST_LIST_TITLE.search(line.strip())
        if m:
            key = LIST_KEY[m.group(1)]
            continue
        cells = line.split("\t")
        if key and cells[0].strip().isdigit():
            rows.setdefault(f"{key}-{int(cells[0]):03d}", []).append((lineno, cells))
    return rows


def strip_tags(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).strip()


def all_texts(d: Duty, *, titles: bool = True):
    """(field, text) for every string of an item."""
    if titles:
        yield "title", d.title
    yield "category", d.category
    for x in d.departments:
        yield "departments", x
    for s in d.department_duties:
        for x in s.departments:
            yield "department_duties.departments", x
        for x in s.duties:
            yield "department_duties.duties", x
        for x in s.support:
            yield "department_duties.support", x
    for x in d.town_duties:
        yield "town_duties", x
    for x in d.penalties:
        yield "penalties", x
    yield "remark", d.remark


def text_lists(d: Duty) -> dict[str, list[str]]:
    """The lists inside one item whose entries must not repeat."""
    out = {"departments": d.departments, "town_duties": d.town_duties, "penalties": d.penalties}
    for i, s in enumerate(d.department_duties):
        out[f"section {i} {'、'.join(s.departments)} duties"] = s.duties
        out[f"section {i} {'、'.join(s.departments)} support"] = s.support
    return out


def near_duplicates(items: list[str]) -> list[tuple[str, str]]:
    """Pairs of entries equal or almost equal once whitespace is ignored (a page-break
    reprint with a one-character slip counts as a duplicate)."""
    norm = [re.sub(r"\s+", "", x) for x in items]
    pairs = []
    for i in range(len(norm)):
        for j in range(i + 1, len(norm)):
            if norm[i] == norm[j] or difflib.SequenceMatcher(None, norm[i], norm[j]).ratio() >= 0.9:
                pairs.append((items[i], items[j]))
    return pairs


def by_id(duties: list[Duty]) -> dict[str, Duty]:
    return {d.id: d for d in duties}


@pytest.fixture(scope="module")
def duties() -> list[Duty]:
    return parse_file(SOURCE)


@pytest.fixture(scope="module")
def items(duties) -> dict[str, Duty]:
    return by_id(duties)


def run_script(*args, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


# --------------------------------------------------------------------------- real source: counts and ids


def test_source_is_the_repo_copy():
    assert SOURCE.is_file(), "the published list must be in corpus/source/"
    assert "shared" not in SOURCE.resolve().parts


def test_total_and_per_list_counts(duties):
    assert len(duties) == 287
    assert Counter(d.list for d in duties) == {"basic": 109, "coop": 74, "returned": 104}


def test_counts_per_category_match_source_headings(duties):
    expected: Counter = Counter()
    list_totals: dict[str, int] = {}
    key = None
    for line in source_lines():
        m = TEST_LIST_TITLE.search(line.strip())
        if m:
            key = LIST_KEY[m.group(1)]
            list_totals[key] = int(m.group(2))
            continue
        h = TEST_HEADING.fullmatch(line.split("\t")[0].strip())
        if key and h:
            assert (key, h.group(1)) not in expected, f"heading {h.group(0)} printed twice in {key}"
            expected[(key, h.group(1))] = int(h.group(2))
    assert list_totals == {"basic": 109, "coop": 74, "returned": 104}
    for key, total in list_totals.items():
        assert sum(n for (k, _), n in expected.items() if k == key) == total
    assert len([k for k in expected if k[0] == "basic"]) == 9
    assert len([k for k in expected if k[0] == "coop"]) == 8
    assert len([k for k in expected if k[0] == "returned"]) == 6
    assert Counter((d.list, d.category) for d in duties) == expected


def test_categories_are_contiguous_and_in_heading_order(duties):
    for key in LISTS:
        cats = [d.category for d in duties if d.list == key]
        runs = [c for i, c in enumerate(cats) if i == 0 or cats[i - 1] != c]
        assert len(runs) == len(set(runs)), f"{key}: a category is split: {runs}"


def test_ids_well_formed_and_ordered(duties):
    ids = [d.id for d in duties]
    assert len(set(ids)) == len(ids)
    for d in duties:
        assert re.fullmatch(r"(basic|coop|returned)-\d{3}", d.id)
        assert d.id == make_id(d.list, d.number)
    assert ids == [d.id for d in sorted(duties, key=lambda d: (LISTS.index(d.list), d.number))]
    for key, n in (("basic", 109), ("coop", 74), ("returned", 104)):
        assert [d.number for d in duties if d.list == key] == list(range(1, n + 1))


def test_every_item_has_its_fields(duties):
    for d in duties:
        assert d.title.strip() and d.category.strip()
        if d.list == "basic":
            assert not d.departments and not d.department_duties
            assert d.town_duties or d.penalties, d.id
        elif d.list == "coop":
            assert d.departments and d.department_duties and d.town_duties, d.id
            flat = [n for s in d.department_duties for n in s.departments]
            assert flat == d.departments, f"{d.id}: sections do not cover the departments in order"
            for s in d.department_duties:
                assert s.duties and s.support, f"{d.id}: {s.departments}"
        elif not d.discontinued:
            assert d.departments, d.id
            assert len(d.department_duties) == 1, d.id
            assert d.department_duties[0].departments == d.departments
            assert d.department_duties[0].duties, d.id
        for name, text in all_texts(d):
            if name != "remark":
                assert text.strip() == text and text, f"{d.id} {name}: {text!r}"


# --------------------------------------------------------------------------- merged page-break items


def test_multi_row_items_are_exactly_the_known_ones():
    """Rows with the same 序号 repeated after a `序号…` header row (an item cut by a page break)."""
    found: dict[str, list[int]] = {}
    key, prev, after_header = None, None, False
    for lineno, line in enumerate(source_lines(), 1):
        m = TEST_LIST_TITLE.search(line.strip())
        if m:
            key, prev, after_header = LIST_KEY[m.group(1)], None, False
            continue
        first = line.split("\t")[0].strip()
        if first == "序号":
            after_header = True
        elif key and first.isdigit():
            if prev is not None and int(first) == prev[0] and after_header:
                found.setdefault(f"{key}-{prev[0]:03d}", [prev[1]]).append(lineno)
            prev, after_header = (int(first), lineno), False
    assert set(found) == MULTI_ROW_IDS
    assert len(found["coop-008"]) == 2
    assert len(found["coop-028"]) == 3
    assert len(found["coop-029"]) == 3


def test_coop_029_flood_control_merged(items):
    d = items["coop-029"]
    assert d.title == "防汛抗旱"
    assert len(d.departments) == 13 and len(set(d.departments)) == 13
    assert len(d.department_duties) == 13
    assert [s.departments for s in d.department_duties] == [[n] for n in d.departments]
    rows = source_rows()["coop-029"]
    assert len(rows) == 3
    # the town duties are printed in full on each of the three rows (the third row
    # without point numbers)
    printed = [split_points(strip_tags(cells[4])) for _, cells in rows]
    assert re.match(r"\s*1\. ", strip_tags(rows[0][1][4]))
    assert not re.search(r"(^|\s)\d{1,2}\. ", strip_tags(rows[2][1][4]))
    assert printed[0] == printed[1] == printed[2]
    assert d.town_duties == printed[0]
    assert len(d.town_duties) == 12
    assert len(set(d.town_duties)) == 12
    assert not near_duplicates(d.town_duties)
    assert d.town_duties[0].startswith("制定本镇防汛抗旱各类应急预案")
    assert d.town_duties[-1] == "做好网络舆情引导工作。"


def test_coop_008_has_all_seven_departments(items):
    d = items["coop-008"]
    assert d.departments == [
        "市教育局", "市公安局", "市市场监督管理局", "市交通运输局",
        "市卫生健康委员会", "市消防救援大队", "市城市管理综合行政执法局",
    ]
    assert [s.departments for s in d.department_duties] == [[n] for n in d.departments]
    for s in d.department_duties:
        assert s.duties and s.support
    # the second row prints the town points again; one copy lacks "存" (fixed by a correction)
    assert len(d.town_duties) == 2
    assert "对发现的存在安全隐患" in d.town_duties[1]
    assert not any("对发现的在安全隐患" in t for t in d.town_duties)


def test_coop_028_earthquake_merged(items):
    d = items["coop-028"]
    assert len(d.departments) == 14
    assert [s.departments for s in d.department_duties][6] == ["市发展和改革委员会", "市工业和信息化局"]
    assert len(d.department_duties) == 13
    assert len(d.town_duties) == 10


@pytest.mark.parametrize("item_id", sorted(MULTI_ROW_IDS))
def test_multi_row_items_keep_every_section_once(items, item_id):
    d = items[item_id]
    rows = source_rows()[item_id]
    assert len(rows) >= 2
    for _, cells in rows[1:]:
        assert cells[1] == rows[0][1][1], "continuation rows repeat the title"
    # department headings across all rows, in order, each giving one section
    heads = []
    for _, cells in rows:
        heads += re.findall(r"([^\s：。；，>]+)主要职责：", strip_tags(cells[3]))
    assert len(heads) == len(set(heads))
    assert [s.departments for s in d.department_duties] == [h.split("、") for h in heads]
    # every point of every row survives the merge (after the coop-008 typo fix)
    for _, cells in rows:
        for t in split_points(strip_tags(cells[4])):
            assert t.replace("对发现的在安全隐患", "对发现的存在安全隐患") in d.town_duties


@pytest.mark.parametrize("item_id", sorted(MULTI_ROW_IDS))
def test_multi_row_items_have_no_duplicated_text(items, item_id):
    d = items[item_id]
    keys = [tuple(s.departments) for s in d.department_duties]
    assert len(keys) == len(set(keys))
    for name, values in text_lists(d).items():
        assert not near_duplicates(values), f"{item_id} {name} repeats text"


def test_no_item_repeats_text(duties):
    for d in duties:
        for name, values in text_lists(d).items():
            assert not near_duplicates(values), f"{d.id} {name} repeats text"


# --------------------------------------------------------------------------- shared department headings


def test_shared_department_headings(items):
    shared = {
        d.id: s.departments
        for d in items.values()
        for s in d.department_duties
        if len(s.departments) > 1
    }
    assert shared == {
        "coop-028": ["市发展和改革委员会", "市工业和信息化局"],
        "coop-054": ["市水利局", "市市场监督管理局", "市住房和城乡建设局", "市公安局"],
        "coop-055": ["市林业和草原局", "扎兰屯风景名胜区管理局"],
        "coop-066": ["市林业和草原局", "扎兰屯风景名胜区管理局"],
    }
    raw = SOURCE.read_text(encoding="utf-8")
    assert "市水利局、市市场监督管理局、市住房和城乡建设局、市公安局主要职责：" in raw
    assert "市林业和草原局、扎兰屯风景名胜区管理局主要职责：" in raw
    # coop-054: the other section of the item is the environment bureau's own
    d54 = items["coop-054"]
    assert [s.departments for s in d54.department_duties][0] == ["呼伦贝尔市生态环境局扎兰屯市分局"]


# --------------------------------------------------------------------------- ended items


def test_ended_items(duties):
    rows = source_rows()
    ended = {d.id for d in duties if d.discontinued}
    assert ended == ENDED_IDS
    for d in duties:
        if d.discontinued:
            assert d.list == "returned"
            assert d.departments == [] and d.department_duties == []
            assert d.town_duties == [] and d.penalties == []
            assert d.remark.endswith("不再开展此项工作。")
            (_, cells), = rows[d.id]
            assert d.remark == strip_tags(cells[2])
        else:
            assert d.remark == ""
    items = by_id(duties)
    assert items["returned-003"].remark == "不再开展此项工作。"
    assert items["returned-005"].remark == "该证明已取消，不再开展此项工作。"
    assert items["returned-006"].remark == "根据优化生育政策要求，不再开展此项工作。"
    for i in ("returned-012", "returned-013", "returned-030"):
        assert items[i].remark == "法律法规条款已失效，不再开展此项工作。"


# --------------------------------------------------------------------------- penalties and cleaning


def test_penalty_with_internal_semicolons(items):
    d = items["basic-082"]
    assert len(d.penalties) == 1
    assert d.penalties[0] == (
        "对在河道管理范围内弃置、堆放阻碍行洪物体的；种植阻碍行洪的林木或者高秆植物的；"
        "修建围堤、阻水渠道、阻水道路的处罚"
    )
    assert len(d.town_duties) == 1


def test_penalty_item_shapes(items):
    d70 = items["basic-070"]
    assert len(d70.town_duties) == 1 and len(d70.penalties) == 1
    assert d70.penalties[0] == "对农村村民未经批准或者违反规划的规定建住宅的处罚"
    d84 = items["basic-084"]
    assert d84.town_duties == [] and len(d84.penalties) == 1
    assert items["basic-083"].penalties[-1] == "对超过核载适宜载畜量放牧及在禁牧区域或者休牧期间放牧的处罚"
    assert len(items["basic-083"].penalties) == 10


def test_one_penalty_per_star(duties):
    for d in duties:
        assert len(d.penalties) == d.title.count("*"), d.id
        for p in d.penalties:
            assert "*" not in p and p.endswith("处罚"), (d.id, p)


def test_titles_keep_the_printed_star(duties):
    rows = source_rows()
    starred = {i for i, r in rows.items() if "*" in r[0][1][1]}
    assert starred == {d.id for d in duties if "*" in d.title}
    assert len(starred) == 41
    for d in duties:
        assert "*" not in d.display_title
        if d.id in starred:
            assert d.title.startswith("*") or d.list == "basic"


def test_and_slip_corrected(items, duties):
    emergency = items["coop-029"].department_duties[0]
    assert emergency.departments == ["市应急管理局"]
    assert "建立健全应急物资信息平台和调拨制度。" in emergency.duties
    assert "开展森林病虫害防治技术指导和防治检疫宣传培训" in items["returned-096"].title
    for d in duties:
        for name, text in all_texts(d):
            assert " and " not in text and "and" not in text, (d.id, name)


def test_no_markup_left(duties):
    for d in duties:
        for name, text in all_texts(d, titles=False):
            assert "<" not in text and ">" not in text and "*" not in text, (d.id, name, text)
        assert "<" not in d.title and ">" not in d.title, d.id
        for name, text in all_texts(d):
            assert "主要职责：" not in text and "履职保障：" not in text, (d.id, name)
            assert "list-style" not in text, (d.id, name)


def test_no_point_keeps_its_number(duties):
    for d in duties:
        for name, text in all_texts(d):
            assert not re.match(r"\d{1,2}[.．、]\s", text), (d.id, name, text)


def test_ascii_punctuation_made_full_width(items, duties):
    for d in duties:
        for name, text in all_texts(d):
            assert not re.search(r"[\u4e00-\u9fff][,:;]", text), (d.id, name, text)
    d64 = items["returned-064"]
    assert d64.departments == ["市自然资源局"]
    assert d64.department_duties[0].duties[0] == "制定征收公告，确定征收范围。"
    assert items["returned-061"].title == "*对占用城市道路期满或者挖掘城市道路后，不及时清理现场的处罚"
    for i in ("returned-061", "returned-062", "returned-063", "returned-065"):
        assert items[i].departments == ["市住房和城乡建设局"], i


def test_committed_corpus_loads_and_matches(duties):
    assert [asdict(d) for d in load_duties(DUTIES)] == [asdict(d) for d in duties]


# --------------------------------------------------------------------------- determinism (script)


def test_import_script_is_deterministic(tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    for out in (a, b):
        r = run_script("-o", out)
        assert r.returncode == 0, r.stderr
        assert "287" in r.stdout
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() == DUTIES.read_bytes(), "corpus/duties.jsonl is stale: run scripts/import_list.py"
    assert not list(tmp_path.glob("*.tmp"))


# --------------------------------------------------------------------------- small hand-written sources

HEADER = {
    "basic": "序号\t事项名称",
    "coop": "序号\t事项名称\t对应上级部门\t上级部门职责（含提供的履职保障）\t乡镇（街道）配合职责",
    "returned": "序号\t事项名称\t承接部门及工作方式",
}
NAMES = {"basic": "基本履职事项", "coop": "配合履职事项", "returned": "上级部门收回事项"}
OL = '<ol style="list-style-type: none">'

BASIC = [
    "一、党的建设（2项）\t",
    "1\t负责基层党组织建设；开展党员教育管理工作",
    "2\t落实本镇河长制工作；*对在河道管理范围内弃置、堆放阻碍行洪物体的；种植阻碍行洪的林木的处罚。",
    "二、生态环保（1项）\t",
    "3\t*对乱堆粪便、垃圾的处罚；*对擅自设置大型户外广告的处罚。",
]
COOP = [
    "一、民生服务（2项）\t\t\t\t",
    "1\t舆情处置\t市委宣传部\t"
    f"<p>主要职责：</p> {OL} 1. 开展舆情应对处置培训工作。 2. 开展舆情监看搜集。 "
    "<p>履职保障：</p> <p>组织开展业务培训。</p>\t"
    f"{OL} 1. 常态化开展舆情监测。 2. 及时上报舆情问题。",
    "2\t湿地保护管理\t市林业和草原局、市水利局\t"
    f"<p>市林业和草原局主要职责：</p> {OL} 1. 开展湿地保护宣传。 2. 核实上报线索。 "
    "<p>履职保障：</p> <p>开展业务培训。</p> "
    "<p>市水利局主要职责：</p> <p>开展河湖巡查。</p> <p>履职保障：</p> <p>提供宣传资料。</p>\t"
    f"{OL} 1. 开展湿地巡护。 2. 上报破坏湿地线索。",
]
RETURNED = [
    "一、民生服务（2项）\t\t",
    "1\t开具户籍类证明\t<p>市公安局：</p> <p>由公安派出所受理开具户籍类证明的申请。</p>",
    "2\t免费向已婚育龄夫妻提供避孕药具\t<p>不再开展此项工作。</p>",
]


def count_items(rows: list[str]) -> int:
    return len({r.split("\t")[0] for r in rows if r.split("\t")[0].strip().isdigit()})


def make_source(basic=None, coop=None, returned=None, omit=(), counts=None) -> str:
    """A minimal valid three-list source, with any list's rows replaced or left out."""
    rows = {"basic": BASIC if basic is None else basic,
            "coop": COOP if coop is None else coop,
            "returned": RETURNED if returned is None else returned}
    counts = counts or {}
    lines = ["", "附件：4", "", "内蒙古自治区呼伦贝尔市扎兰屯市 卧牛河镇履行职责事项清单", "", "目 录",
             "1. 基本履职事项清单.....\t1"]
    for key in LISTS:
        if key in omit:
            continue
        n = counts.get(key, count_items(rows[key]))
        lines += ["", f"内蒙古自治区呼伦贝尔扎兰屯市卧牛河镇 {NAMES[key]}清单（{n}项）", "", HEADER[key]]
        lines += rows[key]
    return "\n".join(lines) + "\n"


def line_of(text: str, start: str, nth: int = 1) -> int:
    """1-based number of the nth line of text that starts with `start`."""
    hits = [i for i, line in enumerate(text.splitlines(), 1) if line.startswith(start)]
    assert len(hits) >= nth, f"no line starting with {start!r}"
    return hits[nth - 1]


def parsed(text: str) -> dict[str, Duty]:
    return by_id(parse_source(text))


def test_minimal_source_parses_exactly():
    got = parsed(make_source())
    assert list(got) == ["basic-001", "basic-002", "basic-003", "coop-001", "coop-002", "returned-001", "returned-002"]
    assert got["basic-001"].town_duties == ["负责基层党组织建设", "开展党员教育管理工作"]
    assert got["basic-001"].penalties == []
    assert got["basic-002"].town_duties == ["落实本镇河长制工作"]
    assert got["basic-002"].penalties == ["对在河道管理范围内弃置、堆放阻碍行洪物体的；种植阻碍行洪的林木的处罚"]
    assert got["basic-003"].category == "生态环保"
    assert got["basic-003"].town_duties == []
    assert got["basic-003"].penalties == ["对乱堆粪便、垃圾的处罚", "对擅自设置大型户外广告的处罚"]
    assert got["basic-003"].title == "*对乱堆粪便、垃圾的处罚；*对擅自设置大型户外广告的处罚。"
    c1 = got["coop-001"]
    assert asdict(c1) == {
        "id": "coop-001", "list": "coop", "number": 1, "category": "民生服务", "title": "舆情处置",
        "departments": ["市委宣传部"],
        "department_duties": [{"departments": ["市委宣传部"],
                               "duties": ["开展舆情应对处置培训工作。", "开展舆情监看搜集。"],
                               "support": ["组织开展业务培训。"]}],
        "town_duties": ["常态化开展舆情监测。", "及时上报舆情问题。"],
        "penalties": [], "discontinued": False, "remark": "",
    }
    c2 = got["coop-002"]
    assert [asdict(s) for s in c2.department_duties] == [
        {"departments": ["市林业和草原局"], "duties": ["开展湿地保护宣传。", "核实上报线索。"], "support": ["开展业务培训。"]},
        {"departments": ["市水利局"], "duties": ["开展河湖巡查。"], "support": ["提供宣传资料。"]},
    ]
    r1 = got["returned-001"]
    assert r1.departments == ["市公安局"]
    assert [asdict(s) for s in r1.department_duties] == [
        {"departments": ["市公安局"], "duties": ["由公安派出所受理开具户籍类证明的申请。"], "support": []}
    ]
    assert not r1.discontinued and r1.remark == ""
    r2 = got["returned-002"]
    assert r2.discontinued and r2.remark == "不再开展此项工作。"
    assert r2.departments == [] and r2.department_duties == []


# ----- quirks


def test_quirk_page_break_header_row_is_dropped():
    plain = parse_source(make_source())
    basic = BASIC[:2] + ["", HEADER["basic"]] + BASIC[2:]
    coop = COOP[:2] + ["", HEADER["coop"]] + COOP[2:]
    returned = RETURNED[:2] + [HEADER["returned"], ""] + RETURNED[2:]
    broken = parse_source(make_source(basic=basic, coop=coop, returned=returned))
    assert [d.to_json() for d in broken] == [d.to_json() for d in plain]


def test_quirk_header_row_before_a_heading():
    rows = BASIC[:3] + [HEADER["basic"]] + BASIC[3:]
    assert [d.to_json() for d in parse_source(make_source(basic=rows))] == [
        d.to_json() for d in parse_source(make_source())
    ]


def test_quirk_item_split_across_two_rows_is_merged():
    town = f"{OL} 1. 开展湿地巡护。 2. 上报破坏湿地线索。"
    first = ("2\t湿地保护管理\t市林业和草原局、市水利局\t"
             f"<p>市林业和草原局主要职责：</p> {OL} 1. 开展湿地保护宣传。 2. 核实上报线索。 "
             f"<p>履职保障：</p> <p>开展业务培训。</p>\t{town}")
    second = ("2\t湿地保护管理\t市林业和草原局、市水利局\t"
              "<p>市水利局主要职责： 开展河湖巡查。</p> <p>履职保障： 提供宣传资料。</p>\t"
              f"{OL} 1. 开展湿地巡护。 2. 上报破坏湿地线索。 3. 配合开展联合执法。")
    coop = COOP[:2] + [first, "", HEADER["coop"], second]
    got = parsed(make_source(coop=coop))
    d = got["coop-002"]
    assert len([x for x in got if x.startswith("coop-")]) == 2
    assert d.departments == ["市林业和草原局", "市水利局"]
    assert [asdict(s) for s in d.department_duties] == [
        {"departments": ["市林业和草原局"], "duties": ["开展湿地保护宣传。", "核实上报线索。"], "support": ["开展业务培训。"]},
        {"departments": ["市水利局"], "duties": ["开展河湖巡查。"], "support": ["提供宣传资料。"]},
    ]
    assert d.town_duties == ["开展湿地巡护。", "上报破坏湿地线索。", "配合开展联合执法。"]


def test_quirk_continuation_row_continuing_a_department_section():
    """A department's section cut by the page break: its points are joined, not repeated."""
    first = ("2\t湿地保护管理\t市林业和草原局\t"
             f"<p>市林业和草原局主要职责：</p> {OL} 1. 开展湿地保护宣传。 2. 核实上报线索。\t"
             f"{OL} 1. 开展湿地巡护。")
    second = ("2\t湿地保护管理\t市林业和草原局\t"
              f"<p>市林业和草原局主要职责：</p> {OL} 2. 核实上报线索。 3. 依法处置。 "
              "<p>履职保障：</p> <p>开展业务培训。</p>\t"
              f"{OL} 1. 开展湿地巡护。")
    coop = COOP[:2] + [first, HEADER["coop"], second]
    d = parsed(make_source(coop=coop))["coop-002"]
    assert [asdict(s) for s in d.department_duties] == [
        {"departments": ["市林业和草原局"], "duties": ["开展湿地保护宣传。", "核实上报线索。", "依法处置。"],
         "support": ["开展业务培训。"]},
    ]
    assert d.town_duties == ["开展湿地巡护。"]


def test_quirk_html_fragments_removed():
    got = parsed(make_source())
    for d in got.values():
        for name, text in all_texts(d):
            assert "<" not in text and ">" not in text and "style" not in text, (d.id, name, text)


@pytest.mark.parametrize(
    "body, points",
    [
        ("1. 开展宣传。 2. 开展排查。", ["开展宣传。", "开展排查。"]),
        ("1．开展宣传。 2．开展排查。", ["开展宣传。", "开展排查。"]),
        ("1、开展宣传。 2、开展排查。", ["开展宣传。", "开展排查。"]),
        ("开展宣传。 开展排查。 及时上报。", ["开展宣传。", "开展排查。", "及时上报。"]),
        ("开展宣传，及时上报。", ["开展宣传，及时上报。"]),
        ("", []),
    ],
)
def test_split_points_numbered_and_unnumbered(body, points):
    assert split_points(body) == points


def test_quirk_points_with_and_without_numbers():
    coop = [
        COOP[0],
        "1\t舆情处置\t市委宣传部\t"
        f"<p>主要职责：</p> {OL} 开展舆情应对处置培训工作。 开展舆情监看搜集。 "
        "<p>履职保障：</p> <p>1. 组织开展业务培训。</p> <p>2. 提供宣传资料。</p>\t"
        "<p>常态化开展舆情监测。</p> <p>及时上报舆情问题。</p>",
        COOP[2],
    ]
    d = parsed(make_source(coop=coop))["coop-001"]
    assert d.department_duties[0].duties == ["开展舆情应对处置培训工作。", "开展舆情监看搜集。"]
    assert d.department_duties[0].support == ["组织开展业务培训。", "提供宣传资料。"]
    assert d.town_duties == ["常态化开展舆情监测。", "及时上报舆情问题。"]


def test_quirk_and_becomes_he():
    coop = [
        COOP[0],
        "1\t舆情处置\t市委宣传部\t"
        f"<p>主要职责：</p> {OL} 1. 建立健全应急物资信息平台 and 调拨制度。 "
        "<p>履职保障：</p> <p>组织开展业务培训。</p>\t"
        f"{OL} 1. 开展宣传 and 排查。",
        COOP[2],
    ]
    returned = [RETURNED[0], "1\t开展防治技术指导 and 防治检疫宣传培训\t<p>市林业和草原局：</p> <p>开展培训。</p>", RETURNED[2]]
    got = parsed(make_source(coop=coop, returned=returned))
    assert got["coop-001"].department_duties[0].duties == ["建立健全应急物资信息平台和调拨制度。"]
    assert got["coop-001"].town_duties == ["开展宣传和排查。"]
    assert got["returned-001"].title == "开展防治技术指导和防治检疫宣传培训"


def test_quirk_shared_department_heading():
    coop = [
        COOP[0],
        COOP[1],
        "2\t湿地保护管理\t市林业和草原局、扎兰屯风景名胜区管理局、市水利局\t"
        f"<p>市林业和草原局、扎兰屯风景名胜区管理局主要职责：</p> {OL} 1. 开展湿地保护宣传。 "
        "<p>履职保障：</p> <p>开展业务培训。</p> "
        "<p>市水利局主要职责：</p> <p>开展河湖巡查。</p> <p>履职保障：</p> <p>提供宣传资料。</p>\t"
        "<p>开展湿地巡护。</p>",
    ]
    d = parsed(make_source(coop=coop))["coop-002"]
    assert d.departments == ["市林业和草原局", "扎兰屯风景名胜区管理局", "市水利局"]
    assert [s.departments for s in d.department_duties] == [
        ["市林业和草原局", "扎兰屯风景名胜区管理局"],
        ["市水利局"],
    ]
    assert d.department_duties[0].duties == ["开展湿地保护宣传。"]


def test_quirk_bare_heading_takes_the_item_departments():
    d = parsed(make_source())["coop-001"]
    assert d.department_duties[0].departments == ["市委宣传部"]


@pytest.mark.parametrize(
    "cell, remark",
    [
        ("<p>不再开展此项工作。</p>", "不再开展此项工作。"),
        ("<p>该证明已取消，不再开展此项工作。</p>", "该证明已取消，不再开展此项工作。"),
        ("<p>法律法规条款已失效，不再开展此项工作。</p>", "法律法规条款已失效，不再开展此项工作。"),
        ("<p>根据优化生育政策要求，不再开展此项工作。</p>", "根据优化生育政策要求，不再开展此项工作。"),
    ],
)
def test_quirk_ended_items(cell, remark):
    returned = [RETURNED[0], RETURNED[1], f"2\t出具离婚、丧偶要求终止妊娠的证明\t{cell}"]
    d = parsed(make_source(returned=returned))["returned-002"]
    assert d.discontinued is True
    assert d.remark == remark
    assert d.departments == [] and d.department_duties == []


def test_quirk_ascii_punctuation_in_returned_cell():
    returned = [
        RETURNED[0],
        "1\t*对占用城市道路期满或者挖掘城市道路后,不及时清理现场的处罚\t"
        "市住房和城乡建设局: 1. 业务部门将案件线索移交局执法监督办, 执法监督办审核后移交。 2. 依法依规立案处理。",
        "2\t土地征收、征用\t市自然资源局: 1. 制定征收公告, 确定征收范围。 2. 开展土地征收法律法规及政策宣传工作。",
    ]
    got = parsed(make_source(returned=returned))
    r1, r2 = got["returned-001"], got["returned-002"]
    assert r1.title == "*对占用城市道路期满或者挖掘城市道路后，不及时清理现场的处罚"
    assert r1.penalties == ["对占用城市道路期满或者挖掘城市道路后，不及时清理现场的处罚"]
    assert r1.departments == ["市住房和城乡建设局"]
    assert r1.department_duties[0].duties == ["业务部门将案件线索移交局执法监督办，执法监督办审核后移交。", "依法依规立案处理。"]
    assert r2.departments == ["市自然资源局"]
    assert r2.department_duties[0].duties == ["制定征收公告，确定征收范围。", "开展土地征收法律法规及政策宣传工作。"]
    assert not r1.discontinued and not r2.discontinued


def test_quirk_ascii_semicolon_in_basic_item():
    basic = BASIC[:2] + ["2\t落实本镇河长制工作;*对在河道管理范围内弃置阻碍行洪物体的处罚。"] + BASIC[3:]
    d = parsed(make_source(basic=basic))["basic-002"]
    assert d.town_duties == ["落实本镇河长制工作"]
    assert d.penalties == ["对在河道管理范围内弃置阻碍行洪物体的处罚"]


def test_quirk_windows_line_endings():
    text = make_source().replace("\n", "\r\n")
    assert [d.to_json() for d in parse_source(text)] == [d.to_json() for d in parse_source(make_source())]


# ----- errors: each raises SourceError with the line, and the script refuses to write


def _heading_count_wrong():
    basic = ["一、党的建设（3项）\t"] + BASIC[1:]
    text = make_source(basic=basic)
    return text, line_of(text, "一、党的建设（3项）"), "3"


def _last_heading_of_list_count_wrong():
    coop = COOP[:1] + COOP[1:2]  # heading announces 2, one item
    text = make_source(coop=coop, counts={"coop": 2})
    return text, line_of(text, "一、民生服务（2项）", 1), "2"


def _last_heading_of_source_count_wrong():
    returned = ["一、民生服务（5项）\t\t"] + RETURNED[1:]
    text = make_source(returned=returned, counts={"returned": 5})
    return text, line_of(text, "一、民生服务（5项）"), "5"


def _list_count_wrong():
    text = make_source(counts={"basic": 4})
    return text, line_of(text, "内蒙古自治区呼伦贝尔扎兰屯市卧牛河镇 基本履职事项清单"), "4"


def _missing_number():
    basic = BASIC[:2] + BASIC[3:4] + ["3\t负责生态环境保护知识宣传"]
    basic[0] = "一、党的建设（1项）\t"
    text = make_source(basic=basic, counts={"basic": 2})
    # items 1 and 3: number 2 is missing
    return text, line_of(text, "3\t负责生态环境保护知识宣传"), "expected 2"


def _first_number_not_one():
    returned = [RETURNED[0], "2" + RETURNED[1][1:], "3" + RETURNED[2][1:]]
    text = make_source(returned=returned)
    return text, line_of(text, "2\t开具户籍类证明"), "expected 1"


def _repeated_number():
    basic = BASIC[:3] + ["2\t负责另一项工作"] + BASIC[3:]
    text = make_source(basic=basic, counts={"basic": 3})
    return text, line_of(text, "2\t负责另一项工作"), "repeated"


def _repeated_number_after_header_with_other_title():
    coop = COOP + [HEADER["coop"], COOP[2].replace("湿地保护管理", "草原保护管理")]
    text = make_source(coop=coop, counts={"coop": 2})
    return text, line_of(text, "2\t草原保护管理"), "repeated"


def _number_going_back():
    returned = RETURNED + ["1\t开具户籍类证明\t<p>市公安局：</p> <p>受理申请。</p>"]
    text = make_source(returned=returned, counts={"returned": 2})
    return text, line_of(text, "1\t开具户籍类证明", 2), "repeated"


def _wrong_cell_count_coop():
    coop = COOP[:2] + ["\t".join(COOP[2].split("\t")[:4])]
    text = make_source(coop=coop)
    return text, line_of(text, "2\t湿地保护管理"), "cells"


def _wrong_cell_count_basic():
    basic = BASIC[:2] + [BASIC[2] + "\t多余的一格"] + BASIC[3:]
    text = make_source(basic=basic)
    return text, line_of(text, "2\t落实本镇河长制工作"), "cells"


def _wrong_cell_count_returned():
    returned = RETURNED[:1] + ["1\t开具户籍类证明"] + RETURNED[2:]
    text = make_source(returned=returned)
    return text, line_of(text, "1\t开具户籍类证明"), "cells"


def _missing_list():
    text = make_source(omit=("returned",))
    return text, len(text.splitlines()), "returned"


def _missing_middle_list():
    text = make_source(omit=("coop",))
    return text, len(text.splitlines()), "coop"


def _item_before_heading():
    basic = BASIC[1:2] + BASIC[:1] + BASIC[2:]
    text = make_source(basic=basic)
    return text, line_of(text, "1\t负责基层党组织建设"), "heading"


def _garbage_row():
    basic = BASIC[:2] + ["第二页"] + BASIC[2:]
    text = make_source(basic=basic)
    return text, line_of(text, "第二页"), "第二页"


def _returned_cell_without_department():
    returned = RETURNED[:1] + ["1\t开具户籍类证明\t<p>由公安派出所受理开具户籍类证明的申请。</p>"] + RETURNED[2:]
    text = make_source(returned=returned)
    return text, line_of(text, "1\t开具户籍类证明"), "承接部门"


ERRORS = {
    "heading count disagrees": _heading_count_wrong,
    "last heading of a list disagrees": _last_heading_of_list_count_wrong,
    "last heading of the source disagrees": _last_heading_of_source_count_wrong,
    "list count disagrees": _list_count_wrong,
    "missing number": _missing_number,
    "first number not 1": _first_number_not_one,
    "repeated number": _repeated_number,
    "repeated number after header, other title": _repeated_number_after_header_with_other_title,
    "number going back": _number_going_back,
    "wrong cell count (coop)": _wrong_cell_count_coop,
    "wrong cell count (basic)": _wrong_cell_count_basic,
    "wrong cell count (returned)": _wrong_cell_count_returned,
    "missing list": _missing_list,
    "missing middle list": _missing_middle_list,
    "item before any heading": _item_before_heading,
    "unrecognised row": _garbage_row,
    "returned cell without department": _returned_cell_without_department,
}


@pytest.mark.parametrize("case", ERRORS, ids=list(ERRORS))
def test_error_raises_source_error_with_line(case):
    text, lineno, fragment = ERRORS[case]()
    with pytest.raises(SourceError) as info:
        parse_source(text)
    assert info.value.lineno == lineno, str(info.value)
    assert str(info.value).startswith(f"line {lineno}: ")
    assert fragment in str(info.value)


@pytest.mark.parametrize("case", ERRORS, ids=list(ERRORS))
def test_error_script_writes_nothing(case, tmp_path):
    text, lineno, _ = ERRORS[case]()
    src = tmp_path / "source.txt"
    src.write_text(text, encoding="utf-8")
    out = tmp_path / "out" / "duties.jsonl"
    r = run_script(src, "-o", out)
    assert r.returncode == 1, r.stdout + r.stderr
    assert f"line {lineno}:" in r.stderr
    assert str(src) in r.stderr
    assert not out.exists()
    assert not list(tmp_path.rglob("*.tmp"))


@pytest.mark.parametrize("case", ["heading count disagrees", "repeated number", "missing list"])
def test_error_script_leaves_existing_output_alone(case, tmp_path):
    text, lineno, _ = ERRORS[case]()
    src = tmp_path / "source.txt"
    src.write_text(text, encoding="utf-8")
    out = tmp_path / "duties.jsonl"
    old = b'{"id": "basic-001"}\n' + "旧内容\n".encode()
    out.write_bytes(old)
    r = run_script(src, "-o", out)
    assert r.returncode == 1
    assert f"line {lineno}:" in r.stderr
    assert out.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["duties.jsonl", "source.txt"]


def test_script_on_a_valid_small_source(tmp_path):
    src = tmp_path / "source.txt"
    src.write_text(make_source(), encoding="utf-8")
    out = tmp_path / "duties.jsonl"
    r = run_script(src, "-o", out)
    assert r.returncode == 0, r.stderr
    assert [asdict(d) for d in load_duties(out)] == [asdict(d) for d in parse_source(make_source())]


def test_script_missing_source(tmp_path):
    out = tmp_path / "duties.jsonl"
    r = run_script(tmp_path / "nope.txt", "-o", out)
    assert r.returncode == 2
    assert "not found" in r.stderr
    assert not out.exists()
