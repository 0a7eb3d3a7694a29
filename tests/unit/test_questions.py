"""bot.corpus.questions: reading and writing example questions (questions.jsonl)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.corpus.model import CorpusError
from bot.corpus.questions import ExampleQuestion, load_questions, write_questions
from bot.retrieval import passages

KNOWN = {"basic-001", "coop-029", "ref-passport"}


def write(tmp_path: Path, text: str, name: str = "questions.jsonl") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_passages_module_uses_the_same_definitions():
    assert passages.ExampleQuestion is ExampleQuestion
    assert passages.load_questions is load_questions


def test_reads_each_source_and_defaults_old_lines_to_list(tmp_path):
    lines = [
        '{"id": "basic-001", "q": " 两个维护 ", "style": "keyword"}',
        '{"id": "basic-001", "q": "谁抓理论学习", "style": "colloquial", "source": "written"}',
        "",
        '{"id": "coop-029", "q": "发大水了", "source": "life"}',
        '{"id": "coop-029", "q": "河水漫进院子了", "style": "learned", "source": "learned"}',
        '{"id": "ref-passport", "q": "办护照去哪", "source": "life"}',
    ]
    path = write(tmp_path, "".join(f"{line}\n" for line in lines))
    assert load_questions(path, KNOWN) == [
        ExampleQuestion("basic-001", "两个维护", "keyword", "list"),
        ExampleQuestion("basic-001", "谁抓理论学习", "colloquial", "list"),
        ExampleQuestion("coop-029", "发大水了", "", "life"),
        ExampleQuestion("coop-029", "河水漫进院子了", "learned", "learned"),
        ExampleQuestion("ref-passport", "办护照去哪", "", "life"),
    ]


def test_referral_ids_only_when_known(tmp_path):
    path = write(tmp_path, '{"id": "ref-passport", "q": "办护照去哪"}\n')
    assert load_questions(path, KNOWN)[0].id == "ref-passport"
    with pytest.raises(CorpusError, match=r"questions\.jsonl:1: unknown item id 'ref-passport'"):
        load_questions(path, {"basic-001"})


@pytest.mark.parametrize(("line", "expected"), [
    ('{"id": "basic-001"}', r':2: expected an object with a non-empty "q"'),
    ('{"id": "basic-001", "q": "  "}', r':2: expected an object with a non-empty "q"'),
    ('{"id": "basic-001", "q": ["两个维护"]}', r':2: expected an object with a non-empty "q"'),
    ('{"id": "basic-999", "q": "谁管"}', r":2: unknown item id 'basic-999'"),
    ('{"q": "谁管"}', r":2: unknown item id None"),
    ('{"id": "basic-001", "q": "谁管", "source": "chat"}', r':2: "source" must be one of list, life, learned'),
    ('{"id": "basic-001", "q": "谁管", "source": 1}', r':2: "source" must be one of'),
    ('{"id": "basic-001", "q": "谁管", "style": ["keyword"]}', r':2: "style" must be a string'),
    ('{"id": "basic-001", "q": "谁管"', r":2: not valid JSON"),
    ('["basic-001", "谁管"]', r":2: expected a JSON object"),
])
def test_bad_lines_are_named(tmp_path, line, expected):
    path = write(tmp_path, '{"id": "basic-001", "q": "两个维护"}\n' + line + "\n")
    with pytest.raises(CorpusError, match=r"questions\.jsonl" + expected):
        load_questions(path, KNOWN)


def test_missing_file_is_no_questions_but_an_empty_file_is_an_error(tmp_path):
    assert load_questions(tmp_path / "questions.jsonl", KNOWN) == []
    for text in ("", "\n  \n"):
        path = write(tmp_path, text)
        with pytest.raises(CorpusError, match=r"questions\.jsonl: file is empty"):
            load_questions(path, KNOWN)


def test_bom_is_accepted_and_other_encodings_named(tmp_path):
    path = tmp_path / "questions.jsonl"
    path.write_bytes('{"id": "basic-001", "q": "两个维护"}\r\n'.encode("utf-8-sig"))
    assert load_questions(path, KNOWN) == [ExampleQuestion("basic-001", "两个维护")]
    path.write_bytes('{"id": "basic-001", "q": "两个维护"}\n'.encode("gbk"))
    with pytest.raises(CorpusError, match=r"questions\.jsonl: not UTF-8 text") as err:
        load_questions(path, KNOWN)
    assert ":1:" not in str(err.value)


def test_a_line_separator_inside_a_question_does_not_split_the_line(tmp_path):
    questions = [ExampleQuestion("basic-001", "两个\u2028维护", "keyword", "life")]
    path = tmp_path / "questions.jsonl"
    write_questions(path, questions)
    assert load_questions(path, KNOWN) == questions


def test_write_is_deterministic_utf8_and_round_trips(tmp_path):
    questions = [
        ExampleQuestion("basic-001", "两个维护", "keyword", "list"),
        ExampleQuestion("coop-029", "发大水了", "", "life"),
        ExampleQuestion("coop-029", "河水漫进院子了", "learned", "learned"),
    ]
    path = tmp_path / "questions.jsonl"
    write_questions(path, questions)
    assert path.read_bytes().decode("utf-8") == (
        '{"id": "basic-001", "q": "两个维护", "style": "keyword", "source": "list"}\n'
        '{"id": "coop-029", "q": "发大水了", "source": "life"}\n'
        '{"id": "coop-029", "q": "河水漫进院子了", "style": "learned", "source": "learned"}\n'
    )
    assert load_questions(path, KNOWN) == questions
    with pytest.raises(ValueError, match="no questions to write"):
        write_questions(tmp_path / "other.jsonl", [])
    assert not (tmp_path / "other.jsonl").exists()
