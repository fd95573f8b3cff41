"""Benchmark: the embedding model's encoders side by side (torch in float32, torch as it runs
here, bfloat16 batches where the CPU has them, and ONNX Runtime int8).

    python -m eval.bench_encoder [--passages 500] [--queries 100] [--threads T] [--rounds 3]
                                 [--encoders torch-fp32,torch,onnx-int8] [--index DIR] [--scifact] [--cache DIR]

Prints one JSON object: per encoder, passages/s embedding the same N SciFact passages
(title + text, cut at the model's 256-piece window; with --index, the first N passages of that
index as its build embedded them, title and context included: the best of --rounds runs, the encoders taking turns
so that both see the same load) and the p50/p95 ms of encoding one query (test queries, one at a
time, warmed up as `qa serve` warms its encoder, with --query-threads threads); the least and mean
cosine between each encoder's passage vectors and the first encoder's; `speedup`, passages/s over
the first encoder's. With --scifact, also the SciFact test-split metrics of `qa eval beir` per
encoder (eval.beir.benchmark; one index per encoder under --cache/<encoder>, reused when up to
date) and `dense_ndcg@10_loss`, the first encoder's dense nDCG@10 minus each other's.
`load_average` is the machine's 1-minute load when the timing started: wall-clock numbers taken
under another job's load are not comparable with quiet ones; `passages_per_cpu_s` (passages per
second of this process's CPU time, all threads) and `speedup_cpu` suffer much less from it. Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from eval.metrics import percentile

SCIFACT = Path(__file__).resolve().parent.parent.parent / "shared" / "beir" / "scifact"
DEFAULT_CACHE = Path("data/bench-encoder")


def read_passages(corpus_file: Path, limit: int) -> list[str]:
    """The first `limit` passages of a BEIR corpus.jsonl, title and text as one text."""
    from eval.bench_scale import BenchError, read_abstracts
    from eval.gold import EvalError

    try:
        abstracts = read_abstracts(corpus_file)
    except BenchError as exc:
        raise EvalError(str(exc)) from None
    return [f"{title}\n{text}" for title, text in abstracts[:limit]]


def index_passages(index_dir: Path, limit: int) -> list[str]:
    """The first `limit` passages of a built index, as its build embedded them (title, context, text)."""
    from eval.gold import EvalError
    from index.build import passage_text
    from index.errors import IndexError_
    from index.store import load_index, read_manifest

    try:
        index = load_index(index_dir, read_manifest(index_dir).config)
    except IndexError_ as exc:
        raise EvalError(str(exc)) from None
    texts: list[str] = []
    for doc_id in index.documents:
        texts += [passage_text(chunk) for chunk in index.document_chunks(doc_id)]
        if len(texts) >= limit:
            break
    index.close()
    return texts[:limit]


def passage_rates(encoders: dict, texts: list[str], threads: int, rounds: int) -> tuple[dict, dict]:
    """Passages/s of each encoder (best round, all rounds) and the vectors of its last round."""
    for encoder in encoders.values():
        encoder.warm_up(threads)  # pins the threads and loads the model (and the ONNX export), untimed
        encoder.encode(texts[:8])
    rates: dict[str, list[float]] = {name: [] for name in encoders}
    cpu: dict[str, list[float]] = {name: [] for name in encoders}
    vectors: dict[str, np.ndarray] = {}
    for _ in range(rounds):
        for name, encoder in encoders.items():
            started, used = time.perf_counter(), time.process_time()
            vectors[name] = encoder.encode(texts)
            rates[name].append(len(texts) / (time.perf_counter() - started))
            cpu[name].append(len(texts) / (time.process_time() - used))
    return {
        name: {"passages_per_s": round(max(r), 1), "rounds": [round(x, 1) for x in r],
               "passages_per_cpu_s": round(max(cpu[name]), 2)}
        for name, r in rates.items()
    }, vectors


def query_latency(encoders: dict, queries: list[str], threads: int) -> dict:
    """p50/p95 ms of encoding one query, the encoders taking turns query by query."""
    for encoder in encoders.values():
        encoder.warm_up(threads)  # as `Assistant.open` does; torch's frozen query graph included
    times: dict[str, list[float]] = {name: [] for name in encoders}
    for query in queries:
        for name, encoder in encoders.items():
            started = time.perf_counter()
            encoder.encode([query])
            times[name].append((time.perf_counter() - started) * 1000)
    return {name: {"query_p50_ms": round(percentile(t, 50), 2), "query_p95_ms": round(percentile(t, 95), 2)}
            for name, t in times.items()}


def cosines(reference: np.ndarray, other: np.ndarray) -> dict:
    agreement = np.sum(reference * other, axis=1)
    return {"min": round(float(agreement.min()), 4), "mean": round(float(agreement.mean()), 4)}


def scifact(encoders: dict, folder: Path, cache: Path, threads: int, progress: bool) -> dict:
    from eval.beir import benchmark

    results = {}
    for name, encoder in encoders.items():
        encoder.warm_up(threads)
        result = benchmark(folder, cache / name, encoder=encoder, split="test", progress=progress)
        results[name] = {
            "modes": result["modes"], "queries": result["queries"], "documents": result["documents"],
            "build_seconds": result["build_seconds"],
        }
    return results


def run(args) -> dict:
    from eval.beir import dataset_files, read_qrels, read_queries
    from eval.gold import EvalError
    from index.embedder import make_encoder
    from index.onnx_encoder import CACHE_ENV

    names = [n.strip() for n in args.encoders.split(",") if n.strip()]
    if len(names) < 2 or len(set(names)) != len(names):
        raise EvalError(f"--encoders needs two or more different encoders, not {args.encoders!r}")
    if args.passages < 1 or args.queries < 1 or args.rounds < 1:
        raise EvalError("--passages, --queries and --rounds must be at least 1")
    if args.onnx_cache is not None:
        os.environ[CACHE_ENV] = str(args.onnx_cache)
    threads = args.threads or os.cpu_count() or 1
    corpus_file, queries_file, qrels_file = dataset_files(args.dataset, "test")
    texts = index_passages(args.index, args.passages) if args.index else read_passages(corpus_file, args.passages)
    queries = list(read_queries(queries_file, set(read_qrels(qrels_file))).values())[:args.queries]
    encoders = {name: make_encoder(name) for name in names}

    load = os.getloadavg()[0]
    rates, vectors = passage_rates(encoders, texts, threads, args.rounds)
    latency = query_latency(encoders, queries, args.query_threads)
    first = names[0]
    result = {
        "passages": len(texts), "passages_from": str(args.index) if args.index else "scifact", "queries": len(queries), "threads": threads, "query_threads": args.query_threads,
        "rounds": args.rounds, "load_average": round(load, 2), "cpus": os.cpu_count(),
        "encoders": {name: {"precision": encoders[name].info.precision, **rates[name], **latency[name]} for name in names},
        "speedup": {name: round(rates[name]["passages_per_s"] / rates[first]["passages_per_s"], 2) for name in names[1:]},
        "speedup_cpu": {
            name: round(rates[name]["passages_per_cpu_s"] / rates[first]["passages_per_cpu_s"], 2) for name in names[1:]
        },
        "cosine": {name: cosines(vectors[first], vectors[name]) for name in names[1:]},
    }
    if args.scifact:
        progress = sys.stderr.isatty()
        scores = scifact(encoders, args.dataset, args.cache, threads, progress)
        dense = {name: scores[name]["modes"]["dense"]["ndcg@10"] for name in names}
        result["scifact"] = {
            "split": "test", **scores,
            "dense_ndcg@10": dense,
            "dense_ndcg@10_loss": {name: round(dense[first] - dense[name], 4) for name in names[1:]},
        }
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench_encoder", description=__doc__.split("\n\n")[0])
    parser.add_argument("--passages", type=int, default=500, help="SciFact passages embedded (default: %(default)s)")
    parser.add_argument("--queries", type=int, default=100, help="test queries encoded one at a time (default: %(default)s)")
    parser.add_argument("--threads", type=int, default=0, help="threads of each encoder for passages (default: the CPUs)")
    parser.add_argument("--query-threads", type=int, default=1, help="threads for single queries, as served (default: 1)")
    parser.add_argument("--rounds", type=int, default=3, help="timed passage runs per encoder; the best counts")
    parser.add_argument("--encoders", default="torch-fp32,torch,onnx-int8", help="encoders compared, the first as the reference")
    parser.add_argument("--index", type=Path, default=None,
                        help="time the passages of this built index, as its build embedded them (default: SciFact title + text)")
    parser.add_argument("--dataset", type=Path, default=SCIFACT, help="the SciFact BEIR folder (default: %(default)s)")
    parser.add_argument("--scifact", action="store_true", help="also SciFact test nDCG@10 etc. per encoder (slow: embeds the corpus)")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where --scifact keeps its indexes (default: %(default)s)")
    parser.add_argument("--onnx-cache", type=Path, default=None, help="the ONNX export cache (default: $QA_ONNX_CACHE or ~/.cache/qa-onnx)")
    args = parser.parse_args(argv)

    from eval.gold import EvalError
    from index.errors import IndexError_

    try:
        result = run(args)
    except (EvalError, IndexError_) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
