"""The decision's scored rows (scripts/fit_decision.py's held-out rows over dev, life-dev and the
corpus), cached in /tmp/decision_rows.pkl: making them takes about four minutes, and the decision
experiments read the same ones."""
import pickle
import sys
from pathlib import Path

sys.path.insert(0, '.')
sys.path.insert(0, 'scripts')
import fit_decision as FD  # noqa: E402

from bot.corpus.outside import load_outside  # noqa: E402
from bot.retrieval.metrics import load_eval  # noqa: E402
from bot.retrieval.opening import open_searcher  # noqa: E402
from bot.settings import Settings  # noqa: E402

CACHE = Path('/tmp/decision_rows.pkl')
SETS = (Path('../shared/eval/dev.jsonl'), Path('../shared/eval/life-dev.jsonl'))


def rows_and_folds():
    """(rows, text_folds) as fit_decision.py scores them, from the cache when it is there."""
    if CACHE.exists():
        return pickle.loads(CACHE.read_bytes())
    settings = Settings.from_env()
    searcher = open_searcher(settings)
    questions = [(q.q, p.stem, q.gold, None) for p in SETS for q in load_eval(p)]
    corpus_rows, text_folds = FD.held_out_rows(searcher, [o.q for o in load_outside(settings.corpus_dir / 'out_of_list.jsonl')])
    rows = FD.score_rows(searcher, questions) + corpus_rows
    CACHE.write_bytes(pickle.dumps((rows, text_folds)))
    return rows, text_folds
