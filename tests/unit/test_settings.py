"""bot.settings: the corpus file paths and the CONTACTS_PATH setting."""
from __future__ import annotations

import re
import sys
from dataclasses import fields
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.settings import Settings


def test_corpus_files_live_in_the_corpus_dir(tmp_path):
    settings = Settings.from_env(env_file=None, corpus_dir=tmp_path)
    assert settings.referrals_path == tmp_path / "referrals.jsonl"
    assert settings.matters_path == tmp_path / "matters.jsonl"
    assert settings.short_names_path == tmp_path / "short_names.tsv"


def test_contacts_path_defaults_to_the_corpus_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("CONTACTS_PATH", raising=False)
    monkeypatch.delenv("CORPUS_DIR", raising=False)
    assert Settings.from_env(env_file=None).contacts_file == ROOT / "corpus" / "contacts.tsv"
    assert Settings.from_env(env_file=None, corpus_dir=tmp_path).contacts_file == tmp_path / "contacts.tsv"


def test_contacts_path_from_env_file_and_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("CONTACTS_PATH", raising=False)
    env = tmp_path / ".env"
    env.write_text("CONTACTS_PATH=private/contacts.tsv\n", encoding="utf-8")
    assert Settings.from_env(env_file=env).contacts_path == ROOT / "private" / "contacts.tsv"
    monkeypatch.setenv("CONTACTS_PATH", str(tmp_path / "c.tsv"))
    assert Settings.from_env(env_file=env).contacts_path == tmp_path / "c.tsv"


def test_every_setting_is_documented_in_env_example():
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^([A-Z_]+)=", text, re.MULTILINE))
    assert {f.name.upper() for f in fields(Settings)} == documented
