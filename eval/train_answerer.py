"""Fit the answer layer's parameters on the dev splits of the gold sets and write qa/answerer.json.

    python -m eval.train_answerer --set data/index eval/gold.jsonl \\
        --set data/eval-index/realcorpus eval/gold_mining_policy.jsonl

Each `--set INDEX GOLD` is an index and the gold questions over its documents (build the real
corpus's with `qa eval --corpus DIR --gold FILE`, which caches it under data/eval-index). For
every value of the grid the dev questions of each set are answered; the value kept is the one
with the best mean, over the sets, of the harmonic mean of fact recall and citation precision
(ties: the smallest, which quotes most). Only dev questions are read: the test split stays
unseen, so its figures measure the fit. The grid is fixed, so the fit is deterministic.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from qa.sufficiency import PARAMETERS, Sufficiency

GRID = tuple(round(0.025 * i, 3) for i in range(21))  # min_gain from 0 to 0.5


def objective(answers: dict) -> float:
    """Harmonic mean of fact recall and citation precision (0 when either is missing or 0)."""
    recall, precision = answers.get("fact_recall") or 0.0, answers.get("citation_precision") or 0.0
    return 2 * recall * precision / (recall + precision) if recall + precision else 0.0


def fit(sets: list[tuple[object, Path]], grid: tuple[float, ...] = GRID) -> tuple[float, list[dict]]:
    """The best `min_gain` on the dev splits of `sets` (assistant, gold path) and every grid row."""
    from eval.runner import evaluate

    rows = []
    for value in grid:
        scores = []
        for assistant, gold in sets:
            assistant.extractive.sufficiency = Sufficiency(value)
            answers = evaluate(assistant, gold, split="dev")["answers"]
            scores.append({"fact_recall": answers["fact_recall"], "citation_precision": answers["citation_precision"],
                           "objective": round(objective(answers), 4)})
        rows.append({"min_gain": value, "objective": round(sum(s["objective"] for s in scores) / len(scores), 4),
                     "sets": scores})
    best = max(rows, key=lambda r: (r["objective"], -r["min_gain"]))
    return best["min_gain"], rows


def parameters(min_gain: float, rows: list[dict], golds: list[Path]) -> dict:
    """The JSON written to qa/answerer.json: the fitted value and how it was chosen."""
    return {
        "min_gain": min_gain,
        "fitted_on": [f"{Path(g).name} (dev)" for g in golds],
        "objective": "mean over the gold sets of the harmonic mean of fact recall and citation precision",
        "grid": [{"min_gain": r["min_gain"], "objective": r["objective"]} for r in rows],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.train_answerer", description=__doc__.split("\n")[0])
    parser.add_argument("--set", nargs=2, action="append", metavar=("INDEX", "GOLD"), required=True,
                        help="an index folder and the gold questions over its documents; repeatable")
    parser.add_argument("--out", type=Path, default=PARAMETERS, help=f"where to write (default: {PARAMETERS})")
    args = parser.parse_args(argv)

    from index.embedder import Embedder
    from qa.assistant import Assistant

    encoder = Embedder()
    sets = []
    for index_dir, gold in args.set:
        if not Path(index_dir, "CURRENT").is_file() or not Path(gold).is_file():
            print(f"error: {index_dir} is not a built index or {gold} does not exist; build it with qa index build "
                  "or qa eval --corpus DIR --gold FILE", file=sys.stderr)
            return 2
        sets.append((Assistant.open(Path(index_dir), encoder=encoder), Path(gold)))
    value, rows = fit(sets)
    for row in rows:
        print(f"min_gain {row['min_gain']:.3f}  objective {row['objective']:.4f}  " + "  ".join(
            f"fact recall {s['fact_recall']:.3f} citation precision {s['citation_precision']:.3f}" for s in row["sets"]))
    args.out.write_text(json.dumps(parameters(value, rows, [g for _, g in sets]), indent=2) + "\n", encoding="utf-8")
    print(f"min_gain {value} written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
