"""Give every gold question a fixed `split` ("dev" or "test"), stratified by kind.

    python -m eval.split_gold FILE [--seed N]

Only records without a `split` get one, so an assignment never moves: questions added later are
split among themselves and balance each kind's dev and test counts. Within a kind the new
records are shuffled with a random generator seeded by `--seed` and the kind, then each goes to
the split of that kind holding fewer questions so far (a tie goes to the split the generator
picks). The same file and seed always give the same splits. Lines that already have a split are
written back byte for byte; the others get `"split"` as their last key.

Tune on `dev`; `test` is reported, never tuned on.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path

from eval.gold import SPLITS, GoldError, load_gold, read_records

DEFAULT_SEED = 12  # with it the off-topic and the in-domain unanswerable questions are split about evenly in both gold files


def assign_splits(records: list[dict], seed: int = DEFAULT_SEED) -> list[dict]:
    """Copies of `records` in which those without a `split` have one; existing splits are kept."""
    out = [dict(r) for r in records]
    for r in out:
        if "split" in r and r["split"] not in SPLITS:
            raise GoldError(f"gold question {r.get('id')!r}: split must be one of {', '.join(SPLITS)}, not {r['split']!r}")
    kinds = sorted({str(r.get("kind")) for r in out})
    for kind in kinds:
        rows = [r for r in out if str(r.get("kind")) == kind]
        counts = Counter(r["split"] for r in rows if "split" in r)
        todo = sorted((r for r in rows if "split" not in r), key=lambda r: str(r.get("id")))
        rng = random.Random(f"{seed}:{kind}")
        rng.shuffle(todo)
        for r in todo:
            dev, test = counts["dev"], counts["test"]
            split = "dev" if dev < test else "test" if test < dev else rng.choice(SPLITS)
            r["split"] = split
            counts[split] += 1
    return out


def split_file(path: Path, seed: int = DEFAULT_SEED) -> Counter:
    """Assign missing splits in the gold file `path` in place; returns the (kind, split) counts."""
    path = Path(path)
    lines, numbered = read_records(path)
    numbers = [number for number, _ in numbered]
    records = [data for _, data in numbered]
    assigned = assign_splits(records, seed)
    out = list(lines)
    for before, after, number in zip(records, assigned, numbers):
        if "split" not in before:
            out[number - 1] = json.dumps(after, ensure_ascii=False)
    text = "\n".join(out) + "\n"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    try:
        load_gold(tmp)  # the result must be a valid gold file; the original stays as it was if not
    except GoldError as exc:
        tmp.unlink()
        raise GoldError(str(exc).replace(str(tmp), str(path))) from None
    tmp.replace(path)
    return Counter((r["kind"], r["split"]) for r in assigned)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.split_gold", description=__doc__.split("\n\n")[0])
    parser.add_argument("file", type=Path, help="gold file (JSON Lines), rewritten in place")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the shuffle (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        counts = split_file(args.file, args.seed)
    except GoldError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for kind in sorted({k for k, _ in counts}):
        print(f"{kind:14} dev {counts[(kind, 'dev')]:3}  test {counts[(kind, 'test')]:3}")
    print(f"{'all':14} dev {sum(n for (_, s), n in counts.items() if s == 'dev'):3}  "
          f"test {sum(n for (_, s), n in counts.items() if s == 'test'):3}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
