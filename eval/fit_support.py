"""Fit the thresholds of `qa.support` on the dev split of eval/support_claims.jsonl.

    python -m eval.fit_support           # writes qa/support.json and prints the figures
    python -m eval.fit_support --check   # fails when qa/support.json is not what a fit gives

Every combination of GRID is scored on the dev claims by a weighted accuracy: the share of
true paraphrases kept (citing the right passage) and FALSE_WEIGHT times the share of false
claims rejected, over 1 + FALSE_WEIGHT. A false sentence kept breaks the answer's guarantee,
while a true one dropped only shortens the answer (the user is told, and the extractive answer
stays available), so a kept false claim costs more. The best wins; ties go to the stricter
setting (more false claims rejected, then a higher coverage, longer clauses, a shorter name
reach). The test split is only reported.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys

from eval.support_claims import FALSE_KINDS, PARAPHRASE, correct, figures, format_figures, load_claims

GRID = {
    "clause_coverage": [round(0.3 + 0.05 * i, 2) for i in range(15)],
    "clause_min_terms": [1, 2, 3],
    "name_reach": [1, 2, 3, 4, 5, 6],
}
SPLIT = "dev"
FALSE_WEIGHT = 2  # a false claim kept costs twice a true paraphrase dropped


def _score(claims, config) -> tuple[float, float]:
    true = [correct(c, config) for c in claims if c.kind == PARAPHRASE]
    false = [correct(c, config) for c in claims if c.kind in FALSE_KINDS]
    kept, rejected = sum(true) / len(true), sum(false) / len(false)
    return (kept + FALSE_WEIGHT * rejected) / (1 + FALSE_WEIGHT), rejected


def fit(claims) -> dict:
    """The settings file's content: the best settings on the dev split and the figures they give."""
    from qa.support import Settings

    dev = [c for c in claims if c.split == SPLIT]
    best_key, best = None, None
    for coverage, min_terms, reach in itertools.product(*GRID.values()):
        config = Settings(coverage, min_terms, reach)
        accuracy, rejected = _score(dev, config)
        key = (round(accuracy, 6), round(rejected, 6), coverage, min_terms, -reach)
        if best_key is None or key > best_key:
            best_key, best = key, config
    return {
        "clause_coverage": best.clause_coverage,
        "clause_min_terms": best.clause_min_terms,
        "name_reach": best.name_reach,
        "fitted_on": f"eval/support_claims.jsonl, {SPLIT} split, by python -m eval.fit_support",
        "dev_weighted_accuracy": best_key[0],
        "figures": figures(claims, best),
    }


def main(argv: list[str] | None = None) -> int:
    from qa.support import SETTINGS_FILE

    parser = argparse.ArgumentParser(prog="python -m eval.fit_support", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only compare with the saved settings")
    args = parser.parse_args(argv)
    fitted = fit(load_claims())
    print(f"clause_coverage={fitted['clause_coverage']} clause_min_terms={fitted['clause_min_terms']} "
          f"name_reach={fitted['name_reach']} (dev weighted accuracy {fitted['dev_weighted_accuracy']:.3f})")
    print(format_figures(fitted["figures"]))
    if args.check:
        saved = json.loads(SETTINGS_FILE.read_text(encoding="utf-8"))
        if saved != fitted:
            print(f"{SETTINGS_FILE} differs from the fit; run python -m eval.fit_support", file=sys.stderr)
            return 1
        return 0
    SETTINGS_FILE.write_text(json.dumps(fitted, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {SETTINGS_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
