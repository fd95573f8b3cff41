"""Scale benchmark: build, rebuild, open and ask on a synthetic corpus of about N chunks.

    python -m eval.bench_scale --chunks N [--json] [--folder DIR] [--scifact DIR] [--questions 50] [--repeat R] [--profile]
    python -m eval.bench_scale --encoder real|NAME [--passages 500] [--threads T] [--json]

The corpus is made of copies of the SciFact abstracts (`corpus.jsonl`), three abstracts to a
Markdown file (front matter title, one `#` section per abstract), every copy's title and text
marked with its copy number so that each document and its content hash is unique. The number
of abstracts is calibrated on a sample read and chunked exactly as a build does, so the index
holds about N chunks (the actual count is printed). Corpus and index are kept under the folder
(default data/bench-scale/N) and reused by later runs with the same N; `bench.json` beside them
records how long the build that made them took.

Vectors come from `BenchEncoder`, a deterministic hashed random projection of the words (384
dimensions like the real model, but named "bench-fake-384", so its indexes are never taken for
real ones); chunk windows are checked with the real model's tokenizer, so chunks are the
product's. Opening and asking are measured in a fresh subprocess (warm page cache, fresh Python),
whose peak RSS is reported. Prints one JSON object (with --json) with chunks, documents, build_s
(null when the cached index was reused; cached_build_s then says how long it took), noop_rebuild_s,
add_one_document_s, remove_one_document_s (the build after that document is taken out again),
open_s, rss_mb (with the pages of mapped index files it touched),
rss_anon_mb (its own memory), ask_p50_ms, ask_p95_ms (warm `Assistant.ask`, encoder time
excluded, over SciFact test queries), ann_recall_at_10 (the index's dense search against numpy
brute force over the same vectors) and index_mb.

`--encoder real` instead measures the real model's passage embedding throughput (title + text
of the first `--passages` SciFact abstracts) with the product's encoder; `--encoder NAME` with
the one `index.embedder.make_encoder(NAME)` gives (torch, onnx-int8, ...), where it exists.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from corpus.errors import CorpusError
from eval.beir import dataset_files, read_qrels, read_queries
from eval.gold import EvalError
from eval.metrics import percentile
from index.dense import exact_nearest, recall_at
from index.embedder import ModelInfo
from index.errors import IndexError_

ROOT = Path(__file__).resolve().parent.parent
SCIFACT = ROOT.parent / "shared" / "beir" / "scifact"
DEFAULT_WORK = Path("data/bench-scale")
BENCH_MODEL = "bench-fake-384"
BENCH_DIM = 384  # all-MiniLM-L6-v2's
BENCH_WINDOW = 256
GENERATOR = 1  # bump when the synthetic corpus changes, so cached corpora are made again
ABSTRACTS_PER_FILE = 3  # about six chunks a document
FILES_PER_FOLDER = 500
SAMPLE_FILES = 200  # files read and chunked to calibrate chunks per abstract (about 5 s)
GUESS_PER_ABSTRACT = 2.2  # chunks an abstract gives, before calibration picks which abstracts to sample
WARM_UP_ASKS = 3
NOOP_REBUILDS = 3
MARKER = ".bench-scale"
RECORD = "bench.json"
ADDED = "zz-added-document.md"
KEYS = (
    "chunks", "documents", "build_s", "noop_rebuild_s", "add_one_document_s", "remove_one_document_s", "open_s", "rss_mb",
    "ask_p50_ms", "ask_p95_ms", "ann_recall_at_10", "index_mb",
)
_WORD = re.compile(r"\w+")


class BenchError(Exception):
    """Bad input or an unusable folder: one line on stderr, exit code 2."""


class BenchEncoder:
    """A fast deterministic stand-in for the embedding model (`TextEncoder`).

    Each word (lower-cased `\\w+`) adds ±1 at 8 hashed places of a 384-dimensional vector (a
    sparse random projection of the bag of words), which is then normalised: texts sharing
    words are close, as for the real model, at a small fraction of its cost. `fits` asks the
    real model's tokenizer (cheap, no torch), so documents are chunked as the product chunks
    them. It has no `warm_up`, so `Assistant.open` loads no model.
    """

    HASHES = 8
    BATCH = 2048

    def __init__(self, dim: int = BENCH_DIM, window: int = BENCH_WINDOW) -> None:
        self.info = ModelInfo(BENCH_MODEL, dim, window)
        self._vocab: dict[str, int] = {}
        self._places = np.zeros((0, self.HASHES), np.int64)
        self._signs = np.zeros((0, self.HASHES), np.float32)
        self._tokenizer = None
        self.seconds = 0.0  # time spent in `encode`, so callers can leave it out
        self.encoded = 0

    def fits(self, text: str) -> bool:
        if self._tokenizer is None:
            from index.embedder import Embedder

            self._tokenizer = Embedder()
        return self._tokenizer.fits(text)

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        started = time.perf_counter()
        out = np.zeros((len(texts), self.info.dim), np.float32)
        for first in range(0, len(texts), self.BATCH):
            out[first:first + self.BATCH] = self._encode_batch(texts[first:first + self.BATCH])
        self.seconds += time.perf_counter() - started
        self.encoded += len(texts)
        return out

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        dim = self.info.dim
        words = [_WORD.findall(text.lower()) for text in texts]
        flat = [w for ws in words for w in ws]
        self._learn(flat)
        ids = np.fromiter((self._vocab[w] for w in flat), np.int64, len(flat))
        rows = np.repeat(np.arange(len(texts), dtype=np.int64), [len(ws) for ws in words])
        cells = (rows[:, None] * dim + self._places[ids]).ravel()
        vectors = np.bincount(cells, weights=self._signs[ids].ravel(), minlength=len(texts) * dim)
        vectors = vectors.reshape(len(texts), dim).astype(np.float32)
        norms = np.linalg.norm(vectors, axis=1)
        empty = norms == 0
        vectors[empty, 0], norms[empty] = 1.0, 1.0
        return vectors / norms[:, None]

    def _learn(self, words: list[str]) -> None:
        new = [w for w in dict.fromkeys(words) if w not in self._vocab]
        if not new:
            return
        digests = np.frombuffer(
            b"".join(hashlib.blake2b(w.encode(), digest_size=3 * self.HASHES).digest() for w in new), np.uint8
        ).reshape(len(new), 3 * self.HASHES)
        places = (digests[:, :2 * self.HASHES].view(np.uint16).astype(np.int64)) % self.info.dim
        signs = np.where(digests[:, 2 * self.HASHES:] & 1, 1.0, -1.0).astype(np.float32)
        start = len(self._vocab)
        self._vocab.update((w, start + i) for i, w in enumerate(new))
        self._places = np.concatenate([self._places, places])
        self._signs = np.concatenate([self._signs, signs])


# ---------------------------------------------------------------- the synthetic corpus


@dataclass(frozen=True)
class Paths:
    folder: Path
    corpus: Path
    index: Path
    record: Path
    marker: Path


def paths(folder: Path) -> Paths:
    return Paths(folder, folder / "corpus", folder / "index", folder / RECORD, folder / MARKER)


def read_abstracts(corpus_file: Path) -> list[tuple[str, str]]:
    abstracts = []
    for number, line in enumerate(corpus_file.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            title, text = " ".join(str(record.get("title", "")).split()), " ".join(str(record["text"]).split())
        except (ValueError, KeyError, TypeError, AttributeError):
            raise BenchError(f"{corpus_file}:{number}: not a JSON object with `title` and `text`") from None
        if text:
            abstracts.append((title or f"Abstract {number}", text))
    if not abstracts:
        raise BenchError(f"{corpus_file} holds no abstracts")
    return abstracts


def _abstract(abstracts: list[tuple[str, str]], j: int) -> tuple[str, str]:
    """The j-th abstract of the endless sequence of copies: copy j // len, marked when not the first."""
    title, text = abstracts[j % len(abstracts)]
    copy = j // len(abstracts)
    return f"{title} (copy {copy})", (text if copy == 0 else f"(Copy {copy}.) {text}")


def _markdown(parts: list[tuple[str, str]]) -> str:
    head = json.dumps(parts[0][0], ensure_ascii=False)  # a JSON string is a YAML scalar
    body = "".join(f"# {title}\n\n{text}\n\n" for title, text in parts)
    return f"---\ntitle: {head}\n---\n\n{body}"


def _file_name(n: int) -> str:
    return f"part-{n // FILES_PER_FOLDER:04d}/doc-{n:07d}.md"


def write_corpus(corpus: Path, abstracts: list[tuple[str, str]], count: int) -> int:
    """Write `count` abstracts (copies beyond the first pass) into files; the number of files."""
    files = 0
    for files, first in enumerate(range(0, count, ABSTRACTS_PER_FILE)):
        path = corpus / _file_name(files)
        path.parent.mkdir(parents=True, exist_ok=True)
        parts = [_abstract(abstracts, j) for j in range(first, min(first + ABSTRACTS_PER_FILE, count))]
        path.write_text(_markdown(parts), encoding="utf-8")
    return files + 1 if count else 0


def chunks_per_abstract(abstracts: list[tuple[str, str]], used: int, encoder: BenchEncoder, config) -> float:
    """Chunks an abstract gives, measured on a sample of the first `used` abstracts, each file
    read and chunked as a build reads and chunks it."""
    from corpus.chunking import chunk_document
    from corpus.loader import read_file

    files = max(1, min(SAMPLE_FILES, -(-used // ABSTRACTS_PER_FILE)))
    step = max(1, used // (files * ABSTRACTS_PER_FILE))
    chunks = read = 0
    with tempfile.TemporaryDirectory() as tmp:
        for f in range(files):
            first = f * step * ABSTRACTS_PER_FILE
            parts = [_abstract(abstracts, j) for j in range(first, first + ABSTRACTS_PER_FILE)]
            path = Path(tmp) / f"sample-{f}.md"
            path.write_text(_markdown(parts), encoding="utf-8")
            for doc in read_file(path, path.name, {}).documents:
                prefix = doc.title + "\n"
                chunks += len(chunk_document(doc, config.chunker, window=lambda text: encoder.fits(prefix + text)))
            read += len(parts)
    return chunks / read if chunks else 1.0


def prepare_corpus(where: Paths, target: int, abstracts: list[tuple[str, str]], encoder: BenchEncoder, config) -> dict | None:
    """The record of the cached build for `target` chunks, or None after writing a new corpus
    (any earlier one of this benchmark in the folder is removed first)."""
    record = _read_record(where.record)
    if (
        record is not None and record.get("target") == target and record.get("generator") == GENERATOR
        and where.corpus.is_dir() and (where.index / "CURRENT").is_file()
    ):
        return record
    if where.folder.exists() and any(where.folder.iterdir()) and not (where.marker.exists() or where.record.exists()):
        raise BenchError(f"{where.folder} holds files this benchmark did not write; pass another --folder")
    for stale in (where.corpus, where.index):
        shutil.rmtree(stale, ignore_errors=True)
    where.record.unlink(missing_ok=True)
    where.folder.mkdir(parents=True, exist_ok=True)
    where.marker.write_text(json.dumps({"target": target, "generator": GENERATOR}) + "\n")
    per = chunks_per_abstract(abstracts, max(1, round(target / GUESS_PER_ABSTRACT)), encoder, config)
    count = max(1, round(target / per))
    _note(f"writing {count} abstracts ({per:.2f} chunks each) into {where.corpus}")
    write_corpus(where.corpus, abstracts, count)
    return None


def _read_record(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text())
        return data if isinstance(data, dict) else None
    except (OSError, ValueError):
        return None


def _added_document(abstracts: list[tuple[str, str]]) -> str:
    """A document no corpus of this benchmark holds: copy 999999 of the first abstracts."""
    first = 999_999 * len(abstracts)
    return _markdown([_abstract(abstracts, j) for j in range(first, first + ABSTRACTS_PER_FILE)])


def folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


# ---------------------------------------------------------------- the benchmark


def scale(args) -> dict:
    from corpus.chunking import encoding
    from index.build import build_index
    from index.manifest import IndexConfig

    if args.chunks < 1:
        raise BenchError(f"--chunks must be at least 1, not {args.chunks}")
    if args.repeat < 1:
        raise BenchError(f"--repeat must be at least 1, not {args.repeat}")
    loaded_at_start = os.getloadavg()[0]
    corpus_file, _, _ = dataset_files(args.scifact)
    abstracts = read_abstracts(corpus_file)
    where = paths(args.folder if args.folder is not None else DEFAULT_WORK / str(args.chunks))
    encoder = BenchEncoder()
    config = IndexConfig(model=encoder.info)
    record = prepare_corpus(where, args.chunks, abstracts, encoder, config)
    encoder.fits("warm up")  # load both tokenizers now, so no timed build pays for loading them
    encoding(config.chunker.tokenizer)

    _note(f"building the index in {where.index}" + (" (cached: checking it is up to date)" if record else ""))
    build_s, first = _timed(lambda: build_index(where.corpus, where.index, encoder, config))
    if record is None or first.written:  # a new corpus, or the product no longer reads the cached index
        record = {
            "target": args.chunks, "generator": GENERATOR, "chunks": first.chunks, "documents": first.documents,
            "build_s": round(build_s, 3), "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        where.record.write_text(json.dumps(record, indent=2) + "\n")
    else:
        build_s = None
    build_rss = round(peak_rss_mb(), 1) if build_s is not None else None  # this process: corpus, then build
    _note(f"{first.chunks} chunks in {first.documents} documents; build " + (f"{build_s:.1f} s" if build_s is not None else f"cached ({record['build_s']:.1f} s)"))
    noop_s = None
    for _ in range(NOOP_REBUILDS):  # the least of three: a no-op build takes a fraction of a second
        seconds, noop = _timed(lambda: build_index(where.corpus, where.index, encoder, config))
        noop_s = seconds if noop_s is None else min(noop_s, seconds)
        if noop.written:
            _note("warning: the no-op rebuild wrote the index")

    _note(f"no-op rebuild {noop_s:.3f} s")
    added = where.corpus / ADDED
    added.write_text(_added_document(abstracts), encoding="utf-8")
    try:
        add_s, grown = _timed(lambda: build_index(where.corpus, where.index, encoder, config))
    finally:
        added.unlink(missing_ok=True)
        remove_s, shrunk = _timed(lambda: build_index(where.corpus, where.index, encoder, config))  # back to the cached corpus
    if grown.embedded == 0:
        _note("warning: adding a document embedded nothing")
    if shrunk.removed == 0:
        _note("warning: removing the added document removed no chunk")
    _note(f"rebuild after adding one document {add_s:.1f} s, after removing it {remove_s:.1f} s")

    _note("opening and asking in a fresh process" + (f", {args.repeat} times" if args.repeat > 1 else ""))
    probed = best_of([run_probe(where.index, args.scifact, args.questions) for _ in range(args.repeat)])
    result = {
        "chunks": first.chunks,
        "documents": first.documents,
        "build_s": None if build_s is None else round(build_s, 3),
        "build_rss_mb": build_rss,
        "noop_rebuild_s": round(noop_s, 4),
        "add_one_document_s": round(add_s, 3),
        "remove_one_document_s": round(remove_s, 3),
        **probed,
        "index_mb": round(folder_mb(where.index), 2),
        "cached_build_s": record["build_s"],
        "chunks_requested": args.chunks,
        "probes": args.repeat,
        "load_avg_1m": [round(loaded_at_start, 2), round(os.getloadavg()[0], 2)],  # other work on the machine, start and end
        "encoder": BENCH_MODEL,
        "folder": str(where.folder),
    }
    if args.profile:
        run_probe(where.index, args.scifact, args.questions, profile=args.top)
    return result


def best_of(probes: list[dict]) -> dict:
    """The figures of several open-and-ask processes: the least of each time, the largest RSS."""
    best = dict(probes[0])
    for key in ("open_s", "ask_p50_ms", "ask_p95_ms"):
        best[key] = min(p[key] for p in probes)
    best["rss_mb"] = max(p["rss_mb"] for p in probes)
    anonymous = [p["rss_anon_mb"] for p in probes if p.get("rss_anon_mb") is not None]
    best["rss_anon_mb"] = max(anonymous) if anonymous else None
    return best


def _timed(call):
    started = time.perf_counter()
    value = call()
    return time.perf_counter() - started, value


def _test_queries(scifact: Path, count: int) -> list[str]:
    _, queries_file, qrels_file = dataset_files(scifact)
    queries = read_queries(queries_file, set(read_qrels(qrels_file)))
    return list(queries.values())[:count]


def run_probe(index_dir: Path, scifact: Path, questions: int, profile: int = 0) -> dict:
    """The figures of `probe` run in a fresh process; with `profile`, that many top functions of
    its profiles are printed to stderr."""
    command = [
        sys.executable, "-m", "eval.bench_scale", "--probe", str(index_dir.resolve()),
        "--scifact", str(scifact.resolve()), "--questions", str(questions),
    ] + (["--profile", "--top", str(profile)] if profile else [])
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if profile:
        sys.stderr.write(done.stderr)
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise BenchError(f"the open-and-ask process failed (exit {done.returncode}): {tail}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def probe(index_dir: Path, scifact: Path, questions: int, profile: int = 0) -> dict:
    """In a fresh process: open the index, ask warm questions, then compare dense search with
    brute force. Peak RSS is read before the brute force, which holds a copy of every vector."""
    from qa.assistant import Assistant

    queries = _test_queries(scifact, questions)
    if not queries:
        raise BenchError(f"{scifact} has no test queries")
    encoder = BenchEncoder()
    profiler = _profiler() if profile else None
    open_s, assistant = _timed(lambda: _maybe_profiled(profiler, lambda: Assistant.open(index_dir, encoder=encoder)))
    if profiler:
        _print_profile(profiler, "Assistant.open", profile)
    for question in queries[:WARM_UP_ASKS]:
        assistant.ask(question)
    if profiler:
        profiler = _profiler()
        _maybe_profiled(profiler, lambda: assistant.ask(queries[WARM_UP_ASKS % len(queries)]))
        _print_profile(profiler, "one warm Assistant.ask", profile)
    times = []
    for question in queries:
        encoded = encoder.seconds
        seconds, _ = _timed(lambda: assistant.ask(question))
        times.append((seconds - (encoder.seconds - encoded)) * 1000)
    rss_mb = peak_rss_mb()
    return {
        "open_s": round(open_s, 3),
        "rss_mb": round(rss_mb, 1),
        "rss_anon_mb": _status_mb("RssAnon"),
        "ask_p50_ms": round(percentile(times, 50), 2),
        "ask_p95_ms": round(percentile(times, 95), 2),
        "ann_recall_at_10": round(ann_recall(assistant.index, encoder.encode(queries), 10), 4),
        "questions": len(queries),
    }


def peak_rss_mb() -> float:
    """This process's peak resident memory since it started, mapped index pages included.

    Read from the kernel's VmHWM, which exec resets: `getrusage`'s ru_maxrss does not, so a probe
    started by the process that has just built a 100,000-chunk index reported the builder's 1.8 GB
    peak, not its own 0.7 GB. ru_maxrss only where /proc is missing."""
    peak = _status_mb("VmHWM")
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _status_mb(field: str) -> float | None:
    """A memory figure of /proc/self/status in MB (`RssAnon`: the process's own heap, which mapped
    index files, counted in the peak RSS while they sit in the page cache, are not), or None off Linux."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def ann_recall(index, queries: np.ndarray, k: int) -> float:
    """Mean share of the exact top k (numpy brute force over the index's own chunk vectors) that
    the index's dense search returns; a returned chunk tying the exact k-th score counts as found."""
    vectors = index.chunk_vectors()
    if not len(vectors):
        return 0.0
    k = min(k, len(vectors))
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    _, found = index.dense.search(queries, k)
    return recall_at(found, exact_nearest(vectors, queries, k), vectors, queries)


def _profiler():
    import cProfile

    return cProfile.Profile()


def _maybe_profiled(profiler, call):
    if profiler is None:
        return call()
    profiler.enable()
    try:
        return call()
    finally:
        profiler.disable()


def _print_profile(profiler, what: str, top: int = 15) -> None:
    import io
    import pstats

    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    print(f"--- profile: {what} (top {top} by cumulative time)\n{out.getvalue()}", file=sys.stderr)


# ---------------------------------------------------------------- the real encoder's throughput


def named_encoder(name: str):
    """`fake`: BenchEncoder; `real`: the product's encoder (`default_encoder`, which QA_ENCODER
    picks, where index/embedder.py has one; else the torch `Embedder`); any other name goes to
    `index.embedder.make_encoder` where it exists."""
    if name == "fake":
        return BenchEncoder()
    from index import embedder

    if name == "real":
        default = getattr(embedder, "default_encoder", None)
        return default() if callable(default) else embedder.Embedder()
    make = getattr(embedder, "make_encoder", None)
    if not callable(make):
        raise BenchError(f"unknown encoder {name!r}; use fake or real")
    try:
        return make(name)
    except ValueError as exc:
        raise BenchError(str(exc)) from None


def throughput(args) -> dict:
    if args.passages < 1:
        raise BenchError(f"--passages must be at least 1, not {args.passages}")
    encoder = named_encoder(args.encoder)
    corpus_file, _, _ = dataset_files(args.scifact)
    texts = [f"{title}\n{text}" for title, text in read_abstracts(corpus_file)[:args.passages]]
    if args.threads:
        from index.embedder import set_threads

        set_threads(args.threads)
    encoder.encode(texts[:8])  # loads the model
    seconds, vectors = _timed(lambda: encoder.encode(texts))
    threads = args.threads or None
    if threads is None and "torch" in sys.modules:
        threads = sys.modules["torch"].get_num_threads()
    return {
        "encoder": encoder.info.name, "runtime": getattr(encoder.info, "encoder", "torch"),
        "dim": int(vectors.shape[1]), "passages": len(texts),
        "seconds": round(seconds, 3), "passages_per_s": round(len(texts) / seconds, 1), "threads": threads,
    }


# ---------------------------------------------------------------- command line


def _note(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench_scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=20000, help="about how many chunks the index holds")
    parser.add_argument("--folder", type=Path, help="where corpus and index are cached (default data/bench-scale/N)")
    parser.add_argument("--scifact", type=Path, default=SCIFACT, help="the SciFact BEIR folder")
    parser.add_argument("--questions", type=int, default=50, help="SciFact test queries asked")
    parser.add_argument("--encoder", default="fake", help="fake: the scale run; real (or another name): embedding throughput")
    parser.add_argument("--passages", type=int, default=500, help="passages embedded with --encoder real")
    parser.add_argument("--threads", type=int, default=0, help="threads of the real encoder (default: its own)")
    parser.add_argument("--repeat", type=int, default=1, help="open-and-ask processes run; the least time of each is kept")
    parser.add_argument("--profile", action="store_true", help="also print cProfile of Assistant.open and one ask to stderr")
    parser.add_argument("--top", type=int, default=15, help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--probe", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        if args.questions < 1:
            raise BenchError(f"--questions must be at least 1, not {args.questions}")
        if args.probe is not None:
            print(json.dumps(probe(args.probe, args.scifact, args.questions, args.top if args.profile else 0)))
            return 0
        result = scale(args) if args.encoder == "fake" else throughput(args)
    except (BenchError, EvalError, CorpusError, IndexError_, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result) if args.json else "\n".join(f"{k:20} {v}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
