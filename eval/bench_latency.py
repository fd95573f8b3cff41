"""Benchmark: warm per-question latency of `qa ask` (extractive, hybrid) over the gold questions.

    python -m eval.bench_latency --index data/index [--rounds 3] [--threads 1]

Prints p50/p95/max of the total and of each phase; not a test.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from eval.metrics import percentile

GOLD = Path(__file__).resolve().parent / "gold.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=Path("data/index"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--mode", default="hybrid")
    args = parser.parse_args()

    from qa.assistant import Assistant

    started = time.perf_counter()
    assistant = Assistant.open(args.index, threads=args.threads)
    print(f"load (index + model, warmed): {time.perf_counter() - started:.2f} s")
    questions = [json.loads(line)["question"] for line in GOLD.read_text().splitlines() if line.strip()]
    for q in questions[:5]:
        assistant.ask(q, mode=args.mode)
    phases: dict[str, list[float]] = {"retrieve": [], "answer": [], "total": []}
    for _ in range(args.rounds):
        for q in questions:
            answer = assistant.ask(q, mode=args.mode)
            for phase in phases:
                phases[phase].append(answer.timings_ms[phase])
    print(f"{len(phases['total'])} questions ({len(questions)} x {args.rounds}), mode {args.mode}, {args.threads} torch thread(s)")
    for phase, values in phases.items():
        print(f"{phase:>9}: p50 {percentile(values, 50):7.2f} ms   p95 {percentile(values, 95):7.2f} ms   max {max(values):7.2f} ms")


if __name__ == "__main__":
    main()
