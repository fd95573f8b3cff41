"""How long a build takes when nothing changed, on a folder of real files copied N times.

    python -m eval.bench_rebuild [--source DIR] [--copies N] [--work DIR] [--json]

Copies the files of DIR (default ../shared/corpora/mining-policy, without SOURCES.md) into N
sub-folders of the work folder (default data/bench-rebuild), builds the index once with a fast
deterministic encoder (the encoder plays no part in a no-op build), then times three no-op
rebuilds, a rebuild after touching one file (its bytes hashed, not parsed) and `qa index
status`. Prints one JSON object; the first build is reused by later runs with the same copies.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

from eval.artifacts import REAL_CORPUS

SKIP = {"SOURCES.md"}


def main(argv: list[str] | None = None) -> int:
    from index.build import build_index, index_status
    from index.manifest import IndexConfig
    from tests.fakes import FakeEncoder

    parser = argparse.ArgumentParser(prog="python -m eval.bench_rebuild", description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=REAL_CORPUS)
    parser.add_argument("--copies", type=int, default=200)
    parser.add_argument("--work", type=Path, default=Path("data/bench-rebuild"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not args.source.is_dir():
        print(f"error: {args.source} is not a folder", file=sys.stderr)
        return 2
    corpus = args.work / f"corpus-{args.copies}"
    index = args.work / f"index-{args.copies}"
    files = _copy(args.source, corpus, args.copies)
    encoder = FakeEncoder()
    config = IndexConfig(model=encoder.info)
    started = time.perf_counter()
    first = build_index(corpus, index, encoder, config)
    first_s = time.perf_counter() - started
    noop = []
    for _ in range(3):
        started = time.perf_counter()
        report = build_index(corpus, index, encoder, config)
        noop.append(time.perf_counter() - started)
        assert not report.written, "a no-op build wrote the index"
    touched = next(p for p in sorted(corpus.rglob("*")) if p.is_file())
    os.utime(touched, ns=(touched.stat().st_atime_ns, time.time_ns()))
    started = time.perf_counter()
    build_index(corpus, index, encoder, config)
    touch_s = time.perf_counter() - started
    started = time.perf_counter()
    stale = index_status(index, corpus).stale
    status_s = time.perf_counter() - started
    result = {
        "files": files, "documents": first.documents, "chunks": first.chunks,
        "first_build_s": round(first_s, 2), "noop_rebuild_s": round(min(noop), 3),
        "noop_per_100_files_s": round(min(noop) / files * 100, 4), "touched_one_file_s": round(touch_s, 3),
        "status_s": round(status_s, 3), "stale": len(stale),
    }
    print(json.dumps(result) if args.json else "\n".join(f"{k:22} {v}" for k, v in result.items()))
    return 0


def _copy(source: Path, corpus: Path, copies: int) -> int:
    originals = [p for p in sorted(source.iterdir()) if p.is_file() and p.name not in SKIP]
    for n in range(copies):
        folder = corpus / f"copy-{n:04d}"
        if folder.is_dir():
            continue
        folder.mkdir(parents=True)
        for path in originals:
            target = folder / path.name
            shutil.copyfile(path, target)
            os.utime(target, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns))
    return copies * len(originals)


if __name__ == "__main__":
    sys.exit(main())
