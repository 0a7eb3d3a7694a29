"""Does an MLP over [decision features + question embedding] separate list / not-list better than
the logistic model of bot/retrieval/decision.py? Same rows and held-out folds as scripts/fit_decision.py.
Run from the project folder (about 4 minutes):
    .venv/bin/python docs/experiments/decision_mlp.py
"""
import json, sys, pickle, os
import numpy as np
sys.path.insert(0, '.'); sys.path.insert(0, 'scripts')
import fit_decision as FD
from bot.retrieval.opening import open_searcher
from bot.settings import Settings
from bot.retrieval.decision import FEATURES
from bot.retrieval.mlp import fit_mlp
from pathlib import Path
os.makedirs('/tmp/exp', exist_ok=True)
cache = '/tmp/exp/rows.pkl'
searcher = open_searcher(Settings.from_env())
if os.path.exists(cache):
    rows = pickle.load(open(cache, 'rb'))
else:
    from bot.retrieval.metrics import load_eval
    qs = [(q.q, p.stem, q.gold, None) for p in [Path('../shared/eval/dev.jsonl'), Path('../shared/eval/life-dev.jsonl')] for q in load_eval(p)]
    outside = Path('corpus/out_of_list.jsonl')
    qs += [(q.q, 'out', [], '') for q in load_eval(outside)]
    rows = FD.score_rows(searcher, qs) + FD.held_out_rows(searcher)
    pickle.dump(rows, open(cache, 'wb'))
emb = searcher.embedder.embed_queries([r.q for r in rows])
F = np.stack([FD.vector(r.features) for r in rows]).astype(np.float32)
mu, sd = F.mean(0), F.std(0) + 1e-9
Fs = (F - mu) / sd
y = np.array([bool(r.gold) for r in rows]).astype(int)
top_right = np.array([bool(r.gold) and r.top in r.gold for r in rows])
origin = np.array([r.origin for r in rows])
fold = np.random.default_rng(0).integers(0, 5, len(rows))

def cv(make_x, fitter):
    X = make_x(); s = np.zeros(len(rows))
    for k in range(5):
        s[fold == k] = fitter(X[fold != k], y[fold != k], X[fold == k])
    return s

def logistic(xtr, ytr, xte):
    from bot.retrieval.decision import fit_logistic
    w, b = fit_logistic(xtr, ytr.astype(float)); return 1/(1+np.exp(-(xte @ w + b)))

def mlp(xtr, ytr, xte):
    return fit_mlp(xtr, ytr, 2).probabilities(xte)[:, 1]

def report(name, s):
    for o in ['life-dev', 'life', 'dev']:
        m = origin == o
        best = None
        for t in np.arange(0.2, 0.85, 0.05):
            ans = (s >= t)
            inr = (ans & top_right)[m & (y == 1)].mean(); outr = (~ans)[m & (y == 0)].mean()
            if best is None or inr + outr > best[0]: best = (inr + outr, t, inr, outr)
        print(f"{name:22s} {o:9s} best t {best[1]:.2f}: in answered right {best[2]:.3f} out not list {best[3]:.3f}")
    # one global threshold chosen on all held-out rows
    allb = None
    for t in np.arange(0.2, 0.85, 0.05):
        ans = s >= t
        u = (ans & top_right)[y == 1].mean() + (~ans)[y == 0].mean()
        if allb is None or u > allb[0]: allb = (u, t)
    t = allb[1]; m = origin == 'life-dev'; ans = s >= t
    print(f"{name:22s} global t {t:.2f}: life-dev in answered right {(ans & top_right)[m & (y==1)].mean():.3f} out not list {(~ans)[m & (y==0)].mean():.3f}")

report('logistic features', cv(lambda: Fs, logistic))
report('mlp features', cv(lambda: Fs, mlp))
report('mlp features+emb', cv(lambda: np.hstack([Fs, emb]), mlp))
report('mlp features+emb*3', cv(lambda: np.hstack([Fs, 3 * emb]), mlp))
