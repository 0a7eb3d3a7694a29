"""Does the decision gain from knowing how long the question is?

Life-dev's in-list questions the decision turns away are mostly long stories (their cosines are
diluted by the story), and its off-list questions taken for list items mostly short keywords
("地界儿咋划", "党费收缴标准"). A feature for the question's length (log of its characters, and its
product with the best cosine) might let the logistic model read a cosine against the length it
came from. Same rows and folds as scripts/fit_decision.py; each variant's figures are the strictly
nested ones (each fold's setting chosen without it, from models that never saw it).

Run from the project folder after scripts/build_index.py (about four minutes):
    .venv/bin/python docs/experiments/decision_length.py ../shared/eval/dev.jsonl ../shared/eval/life-dev.jsonl
"""
import logging
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, '.')
sys.path.insert(0, 'scripts')
import fit_decision as FD  # noqa: E402

from bot.corpus.outside import load_outside  # noqa: E402
from bot.retrieval.metrics import load_eval  # noqa: E402
from bot.retrieval.opening import open_searcher  # noqa: E402
from bot.settings import Settings  # noqa: E402


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    settings = Settings.from_env()
    searcher = open_searcher(settings)
    paths = [Path(p) for p in sys.argv[1:]]
    questions = [(q.q, p.stem, q.gold, None) for p in paths for q in load_eval(p)]
    off_list = [o.q for o in load_outside(settings.corpus_dir / "out_of_list.jsonl")]
    corpus_rows, text_folds = FD.held_out_rows(searcher, off_list)
    rows = FD.score_rows(searcher, questions) + corpus_rows
    for r in rows:
        r.features["length"] = math.log(max(len(r.q), 1)) / math.log(100)
        r.features["dense_x_length"] = r.features["dense"] * r.features["length"]
    fold_of = np.array([FD.fold_of_text(text_folds, r.q) for r in rows])
    lab = FD.labels(rows)
    grid = FD.setting_grid()
    everything = np.ones(len(rows), dtype=bool)
    origin = np.array([r.origin for r in rows])
    base = list(FD.FEATURES)
    print("| features | nested utility | in-list answered right | out-of-list not a list item | "
          "life-dev answered right | life-dev out-of-list not a list item |")
    print("|---|---|---|---|---|---|")
    for name, names in [("the decision's", base), ("+ length", base + ["length"]),
                        ("+ length, + best cosine × length", base + ["length", "dense_x_length"])]:
        FD.FEATURES = tuple(names)  # what FD.vector reads
        x = np.stack([FD.vector(r.features) for r in rows])
        nested = FD.nested_kinds(x, lab, fold_of, grid, everything)
        all_rows = FD.figures(nested, lab, everything)
        life = FD.figures(nested, lab, origin == "life-dev")
        print(f"| {name} | {FD.utility(all_rows):.3f} | {all_rows['in_answered_right']:.3f} | "
              f"{all_rows['out_not_list']:.3f} | {life['in_answered_right']:.3f} | {life['out_not_list']:.3f} |")


if __name__ == "__main__":
    main()
