"""What the emergency experiments start from: the current build's query vectors, the written
examples, the everyday calm examples and the two evaluation sets. Run the experiments from the
project folder after scripts/build_index.py."""
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, '.')
from bot.corpus.referrals import load_referrals  # noqa: E402
from bot.retrieval import emergency as E  # noqa: E402


def load(limit=E.MAX_EVERYDAY_EXAMPLES):
    """(vectors by text, written examples, everyday calm examples, emergency-dev rows, life-dev rows)."""
    build = Path('index/current')
    texts = json.loads((build / 'query_texts.json').read_text())
    vec = dict(zip(texts, np.load(build / 'query_vectors.npy')))
    corpus = Path('corpus')
    written = E.load_examples(corpus / 'emergency.jsonl')
    questions = [json.loads(line)['q'] for line in open(corpus / 'questions.jsonl')]
    ordinary = E.ordinary_calm_examples(questions, load_referrals(corpus / 'referrals.jsonl'), written, limit=limit)
    ed = [json.loads(line) for line in open('../shared/eval/emergency-dev.jsonl')]
    ld = [json.loads(line) for line in open('../shared/eval/life-dev.jsonl')]
    return vec, written, ordinary, ed, ld
