"""Should a list item that is about as likely as the closest referral win over it?

Life-dev's in-list questions turned away are mostly given a referral although the best item is
right: P(list) is below the threshold (0.3–0.65) and the referral model, only a little surer
(P 0.3–0.5), lets the referral through. Variant: where a referral would be offered, the item
answers instead when P(list) >= P(referral right) + delta. delta = infinity is the decision as it
is. Same rows, held-out folds and utility as scripts/fit_decision.py; for each delta the settings
are chosen on held-out probabilities, and the nested figures (each fold decided with the setting
chosen without it) are reported. Run from the project folder (rows cached in /tmp/decision_rows.pkl,
about 4 minutes to make):
    .venv/bin/python docs/experiments/decision_compare.py
"""
import sys

import numpy as np

sys.path.insert(0, '.')
sys.path.insert(0, 'scripts')
sys.path.insert(0, 'docs/experiments')
import fit_decision as FD  # noqa: E402
from decision_rows import rows_and_folds  # noqa: E402

rows, text_folds = rows_and_folds()

fold = np.array([FD.fold_of_text(text_folds, r.q) for r in rows])
x = np.stack([FD.vector(r.features) for r in rows])
lab = FD.labels(rows)
origin = np.array([r.origin for r in rows])
everything = np.ones(len(rows), dtype=bool)
original = FD.decide_all


def comparing(delta):
    def decide_all(s, p_list, p_referral, lab):
        offered = (lab.referral >= s.referral_min) & (lab.referral_gap >= -FD.SLACK) & (p_referral >= s.referral_threshold)
        return np.select([p_list >= s.threshold, offered & (p_list >= p_referral + delta), offered,
                          p_list >= s.fallback_threshold], ["list", "list", "referral", "list"], "none")
    return decide_all


# A smaller grid around the chosen settings keeps each delta to a minute or two.
FD.THRESHOLDS = np.round(np.arange(0.50, 0.81, 0.05), 2)
FD.REFERRAL_MINS = np.round(np.arange(0.875, 0.911, 0.005), 3)
grid = FD.setting_grid()
for delta in (np.inf, 0.2, 0.1, 0.0, -0.1):
    FD.decide_all = comparing(delta) if np.isfinite(delta) else original
    p_list, p_referral = FD.held_out_probabilities(x, lab, fold)
    setting = FD.choose(grid, p_list, p_referral, lab, everything)
    nested = FD.nested_kinds(x, lab, fold, grid, everything)
    f = FD.figures(nested, lab, everything)
    print(f"\n## delta {delta}: chosen on all rows {setting}")
    print("  nested: " + ", ".join(f"{k} {v:.3f}" for k, v in f.items()) + f", utility {FD.utility(f):.3f}")
    for name in ("dev", "life-dev", "life", "referral", "out"):
        g = FD.figures(nested, lab, origin == name)
        print(f"  {name}: " + ", ".join(f"{k} {v:.3f}" for k, v in g.items() if not k.startswith("n_")))
