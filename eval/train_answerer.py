"""Fit the answer layer's parameters on the dev splits of the gold sets and write qa/answerer.json.

    python -m eval.train_answerer --set data/index eval/gold.jsonl \\
        --set data/eval-index/realcorpus eval/gold_mining_policy.jsonl

Each `--set INDEX GOLD` is an index and the gold questions over its documents (build the real
corpus's with `qa eval --corpus DIR --gold FILE`, which caches it under data/eval-index). The
shipped file is fitted on indexes embedded in float32 (`QA_ENCODER=torch-fp32`; on a CPU with
bfloat16 the default batches differ in the fifth decimal, and so do the fitted weights).

Three fits, in order. First the sentence scorer's weights (`qa.scorer`), by a pairwise logistic
regression on the dev questions' retrieved sentences labelled by the gold (`eval.scorer_fit`).
Then, with those weights, answerability (`qa.answerability`): a logistic regression of whether
a dev question is answerable on its evidence features, and its threshold (`eval.answerability_fit`).
Then, with both, `min_gain` (`qa.sufficiency`): for every value of the grid the dev
questions of each set are answered; the value kept is the one with the best mean, over the
sets, of the harmonic mean of fact recall and citation precision (ties: the smallest, which
quotes most). Only dev questions are fitted on: the test split's pairs and questions are counted
to report how the scorer orders them and how often answerability abstains, and its answers
measure the fit. The fits are deterministic.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from eval.answerability_fit import CS, fit_answerability, labelled_evidence, rates
from eval.scorer_fit import C, fit_scorer, labelled_pairs, pair_accuracy
from qa.answerability import MAX_FALSE_ABSTENTION
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


def parameters(min_gain: float, rows: list[dict], golds: list[Path], scorer: dict, answerability: dict) -> dict:
    """The JSON written to qa/answerer.json: the fitted values and how they were chosen."""
    return {
        "min_gain": min_gain,
        "fitted_on": [f"{Path(g).name} (dev)" for g in golds],
        "objective": "mean over the gold sets of the harmonic mean of fact recall and citation precision",
        "grid": [{"min_gain": r["min_gain"], "objective": r["objective"]} for r in rows],
        "scorer": scorer,
        "answerability": answerability,
    }


def train(sets: list[tuple[object, Path]]) -> dict:
    """Both fits on `sets` (assistant, gold path), the scorer's set on each assistant: what
    qa/answerer.json holds."""
    dev, test = labelled_pairs(sets, "dev"), labelled_pairs(sets, "test")
    scorer = fit_scorer(dev)
    for assistant, _ in sets:
        assistant.extractive.scorer = scorer
    dev_evidence, test_evidence = labelled_evidence(sets, "dev"), labelled_evidence(sets, "test")
    answerability, c = fit_answerability(dev_evidence)
    for assistant, _ in sets:
        assistant.extractive.answerability = answerability
    value, rows = fit(sets)
    answerable = {
        **answerability.as_mapping(),
        "method": f"logistic regression (scikit-learn, classes weighing the same, C={c} of {list(CS)} by leave-one-out "
                  f"log loss on dev); threshold: at most {MAX_FALSE_ABSTENTION:.0%} of answerable dev questions abstained",
        "abstained": {"dev": rates(answerability, dev_evidence), "test": rates(answerability, test_evidence)},
    }
    return parameters(value, rows, [g for _, g in sets], {
        "weights": scorer.as_mapping(),
        "method": f"pairwise logistic regression (scikit-learn, no intercept, C={C}), each question weighing the same; "
                  "a sentence holds the evidence when what quoting it brings (its run, its list) overlaps a gold "
                  "evidence quote or holds a gold fact",
        "pairs": {"dev": len(dev.differences), "test": len(test.differences)},
        "pairs_ordered": {"dev": pair_accuracy(scorer, dev), "test": pair_accuracy(scorer, test)},
    }, answerable)


def shown(data: dict) -> str:
    """The fitted values, a line each."""
    weights = ", ".join(f"{k} {v:+.4f}" for k, v in data["scorer"]["weights"].items())
    ordered = data["scorer"]["pairs_ordered"]
    able = data["answerability"]
    abstained = "; ".join(f"{split} {r['abstentions']}/{r['unanswerable']} unanswerable, "
                          f"{r['false_abstentions']}/{r['answerable']} answerable" for split, r in able["abstained"].items())
    return (f"scorer: {weights}\n  pairs ordered right: dev {ordered['dev']}, test {ordered['test']}\n"
            f"answerability: {', '.join(f'{k} {v:+.4f}' for k, v in able['weights'].items())}, bias {able['bias']:+.4f}, "
            f"threshold {able['threshold']}\n  abstained: {abstained}\n"
            + "\n".join(f"min_gain {r['min_gain']:.3f}  objective {r['objective']:.4f}" for r in data["grid"])
            + f"\nmin_gain {data['min_gain']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.train_answerer", description=__doc__.split("\n")[0])
    parser.add_argument("--set", nargs=2, action="append", metavar=("INDEX", "GOLD"), required=True,
                        help="an index folder and the gold questions over its documents; repeatable")
    parser.add_argument("--out", type=Path, default=PARAMETERS, help=f"where to write (default: {PARAMETERS})")
    args = parser.parse_args(argv)

    from index.embedder import Embedder
    from qa.assistant import Assistant

    encoder = Embedder(bf16=False)
    sets = []
    for index_dir, gold in args.set:
        if not Path(index_dir, "CURRENT").is_file() or not Path(gold).is_file():
            print(f"error: {index_dir} is not a built index or {gold} does not exist; build it with qa index build "
                  "or qa eval --corpus DIR --gold FILE", file=sys.stderr)
            return 2
        sets.append((Assistant.open(Path(index_dir), encoder=encoder), Path(gold)))
    data = train(sets)
    print(shown(data))
    args.out.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
