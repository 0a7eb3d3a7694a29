"""Does a second model, "is the closest referral the right one?", help the three-way decision?

Many life-dev questions that a list item answers get a referral instead: the decision's P(list)
is below its threshold and the closest referral passes the cosine gate, although that referral
is often a poor match ("纪委举报电话" → the gambling-report referral). Variant G fits a second
logistic model on the same features, P(the closest referral is the right one) (positives: the
off-list questions whose known right referral is the closest one), and decides
    P(list) >= T → list;  else P(referral right) >= R → referral;  else P(list) >= T_low → list;  else none.
Same rows and held-out folds as scripts/fit_decision.py (twins held out together); settings
chosen on held-out utility as there. Run from the project folder (about 5 minutes; the scored
rows are cached in /tmp/decision_rows.pkl):
    .venv/bin/python docs/experiments/decision_referral_gate.py
"""
import sys

import numpy as np

sys.path.insert(0, '.')
sys.path.insert(0, 'scripts')
sys.path.insert(0, 'docs/experiments')
import fit_decision as FD  # noqa: E402
from decision_rows import rows_and_folds  # noqa: E402

from bot.retrieval.decision import fit_logistic  # noqa: E402

rows, text_folds = rows_and_folds()
fold = np.array([FD.fold_of_text(text_folds, r.q) for r in rows])
x = np.stack([FD.vector(r.features) for r in rows])
is_in = np.array([bool(r.gold) for r in rows])
ref_right = np.array([not r.gold and bool(r.referral) and r.closest_referral == r.referral for r in rows])
origin = np.array([r.origin for r in rows])


def logistic(train, y):
    mean, std = x[train].mean(0), x[train].std(0) + 1e-9
    w, b = fit_logistic((x[train] - mean) / std, y[train].astype(float))
    return lambda rows_: 1 / (1 + np.exp(-(((x[rows_] - mean) / std) @ w + b)))


# Held-out probabilities of both models, fold by fold.
p_list, p_ref = np.zeros(len(rows)), np.zeros(len(rows))
for k in range(FD.FOLDS):
    train, test = fold != k, fold == k
    p_list[test] = logistic(train, is_in)(test)
    p_ref[test] = logistic(train, ref_right)(test)
f = {name: np.array([r.features[name] for r in rows]) for name in ('referral', 'referral_gap')}
top_right = np.array([bool(r.gold) and r.top in r.gold for r in rows])
known = np.array([r.referral is not None for r in rows]) & ~is_in


def share(values, mask):
    return float(values[mask].mean()) if mask.any() else 0.0  # life-dev has no known referrals


def figures(kind, mask):
    ins, outs, ref = mask & is_in, mask & ~is_in, mask & known
    return {"in_answered_right": share((kind == "list") & top_right, ins),
            "out_not_list": share(kind != "list", outs),
            "referral_right": share((kind == "referral") & ref_right, ref),
            "referral_wrong": share((kind == "referral") & ~ref_right, ref)}


def baseline(t, rmin):
    gate = (f['referral'] >= rmin) & (f['referral_gap'] >= -0.02)
    return np.where(p_list >= t, "list", np.where(gate, "referral", "none"))


def gated(t, r, t_low, rmin):
    gate = (f['referral'] >= rmin) & (f['referral_gap'] >= -0.02) & (p_ref >= r)
    return np.where(p_list >= t, "list", np.where(gate, "referral", np.where(p_list >= t_low, "list", "none")))


everything = np.ones(len(rows), bool)
candidates = {("baseline", t, rmin): baseline(t, rmin) for t in FD.THRESHOLDS for rmin in (0.88, 0.9, 0.92)}
for t in FD.THRESHOLDS:
    for t_low in [v for v in FD.THRESHOLDS if v <= t] + [1.01]:
        for r in (0.2, 0.3, 0.4, 0.5, 0.6):
            candidates[("G", t, t_low, r)] = gated(t, r, t_low, 0.9)
print("| variant (setting chosen on held-out utility) | held out: in-list answered right / out-of-list not a list item "
      "/ right − wrong referral | utility | life-dev rows, held out: answered right / out-of-list not a list item |")
print("|---|---|---|---|")
for name in ("baseline", "G"):
    best = max((k for k in candidates if k[0] == name), key=lambda k: FD.utility(figures(candidates[k], everything)))
    a = figures(candidates[best], everything)
    life = figures(candidates[best], origin == "life-dev")
    print(f"| {name} {tuple(float(v) for v in best[1:])} | {a['in_answered_right']:.3f} / {a['out_not_list']:.3f} / "
          f"{a['referral_right'] - a['referral_wrong']:.3f} | {FD.utility(a):.3f} | "
          f"{life['in_answered_right']:.3f} / {life['out_not_list']:.3f} |")

# The same, with the setting chosen without the fold it is measured on (G has many more settings
# to choose from, so its best held-out utility above is more optimistic than the baseline's).
print("\n| variant, setting chosen on the other four folds | in-list answered right / out-of-list not a list item "
      "/ right − wrong referral | utility | life-dev rows: answered right / out-of-list not a list item |")
print("|---|---|---|---|")
for name in ("baseline", "G"):
    kind = np.empty(len(rows), dtype=object)
    for k in range(FD.FOLDS):
        others = fold != k
        best = max((c for c in candidates if c[0] == name), key=lambda c: FD.utility(figures(candidates[c], others)))
        kind[fold == k] = candidates[best][fold == k]
    a = figures(kind, everything)
    life = figures(kind, origin == "life-dev")
    print(f"| {name} | {a['in_answered_right']:.3f} / {a['out_not_list']:.3f} / "
          f"{a['referral_right'] - a['referral_wrong']:.3f} | {FD.utility(a):.3f} | "
          f"{life['in_answered_right']:.3f} / {life['out_not_list']:.3f} |")
