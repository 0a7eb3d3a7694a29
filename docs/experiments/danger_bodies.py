"""What stands under each alarm: the answer's kind, its referral and its first item, one JSON line per
question that raises the alarm. Run before and after a change to what follows the emergency line and
compare the outputs:
    .venv/bin/python docs/experiments/danger_bodies.py ../shared/eval/emergency-dev.jsonl \
        ../shared/eval/life-dev.jsonl ../shared/eval/dev.jsonl > after.txt
"""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bot.engine import open_engine  # noqa: E402
from bot.settings import Settings  # noqa: E402

engine = open_engine(Settings.from_env())
for path in sys.argv[1:]:
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        q = json.loads(line)["q"]
        answer = engine.ask(q)
        if answer.emergency is None:
            continue
        print(json.dumps([Path(path).name, q[:40], answer.emergency.numbers, answer.kind,
                          answer.referral.id if answer.referral else None, answer.best.id if answer.best else None],
                         ensure_ascii=False))
