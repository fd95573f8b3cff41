"""`qa eval beir DIR`: retrieval benchmark on a BEIR dataset (corpus.jsonl, queries.jsonl, qrels/).

The corpus is indexed under `--cache`/<dataset name> without sentence embeddings (ranking does
not need them); the build is incremental, so a second run reuses an up-to-date index. Documents
are ranked by their best chunk: the chunk ranking is collapsed to documents, keeping each
one's first (best) position, down to 100 distinct documents. Metrics are nDCG@10 with
the graded qrels, Recall@100 and MRR@10, per retrieval mode.

The qrels split is `test`; set QA_BEIR_SPLIT=train (or dev) to evaluate on qrels/<split>.tsv,
e.g. while tuning, so that the test split stays unseen.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

from eval.gold import EvalError
from eval.metrics import mean, ndcg_at_k, recall_at_k, reciprocal_rank

SPLIT_ENV = "QA_BEIR_SPLIT"
DEFAULT_SPLIT = "test"
METRICS = ("ndcg@10", "recall@100", "mrr@10")
MODES = ("dense", "lexical", "hybrid")
DOCUMENTS = 100  # distinct documents ranked per query (Recall@100)


def gate_metrics() -> dict[str, tuple[tuple[str, ...], bool]]:
    """Gate names of the BEIR eval: METRIC (hybrid) or MODE.METRIC; all higher-is-better."""
    names = {m: (("modes", "hybrid", m), False) for m in METRICS}
    names.update({f"{mode}.{m}": (("modes", mode, m), False) for mode in MODES for m in METRICS})
    return names


def run(args, gates, encoder=None) -> int:
    from eval.runner import EXIT_GATE_FAILED, EXIT_OK, check_gates

    split = os.environ.get(SPLIT_ENV, DEFAULT_SPLIT).strip() or DEFAULT_SPLIT
    progress = not args.json and sys.stderr.isatty()
    result = benchmark(Path(args.target[1]), Path(args.cache), encoder=encoder, split=split, progress=progress)
    if args.json:
        print(json.dumps(result))
    else:
        print(format_beir(result, Path(args.target[1]).resolve().name))
    failed = check_gates(result, gates)
    for message in failed:
        print(message, file=sys.stderr)
    return EXIT_GATE_FAILED if failed else EXIT_OK


def format_beir(result: dict, name: str) -> str:
    from eval.report import _text_table, fmt_num

    header = (f"BEIR {name} ({result['split']} split): {result['queries']} queries, {result['documents']} documents, "
              f"index build {result['build_seconds']:.1f} s")
    modes = [m for m in MODES if m in result["modes"]]
    rows = [[metric, *(fmt_num(result["modes"][m][metric]) for m in modes)] for metric in METRICS]
    return header + "\n\n" + _text_table(["metric", *modes], rows) + "\n"


def dataset_files(folder: Path, split: str = DEFAULT_SPLIT) -> tuple[Path, Path, Path]:
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", split) or split.startswith("."):
        raise EvalError(f"{SPLIT_ENV}={split!r} is not a split name (e.g. test, train, dev)")
    if not folder.is_dir():
        raise EvalError(f"BEIR folder {folder} does not exist")
    files = (folder / "corpus.jsonl", folder / "queries.jsonl", folder / "qrels" / f"{split}.tsv")
    for path in files:
        if not path.is_file():
            raise EvalError(f"BEIR file {path} is missing (a BEIR folder holds corpus.jsonl, queries.jsonl and qrels/{split}.tsv)")
    return files


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """query id -> {document id (as the index names it) -> graded relevance}."""
    from corpus.document import DOC_ID_PATTERN, slugify

    qrels: dict[str, dict[str, int]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        cells = line.split("\t") if "\t" in line else line.split()
        if number == 1 and cells[0].strip().lower() in ("query-id", "query_id", "qid"):
            continue
        try:
            qid, doc, score = cells[0].strip(), cells[1].strip(), int(float(cells[2]))
        except (IndexError, ValueError):
            raise EvalError(f"{path}:{number}: expected `query-id<TAB>corpus-id<TAB>score`") from None
        doc_id = doc if DOC_ID_PATTERN.match(doc) else slugify(doc)  # as corpus.loader names it
        qrels.setdefault(qid, {})[doc_id] = score
    if not qrels:
        raise EvalError(f"{path} holds no relevance judgements")
    return qrels


def read_queries(path: Path, wanted: set[str]) -> dict[str, str]:
    """Text of the `wanted` queries, in file order."""
    queries: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            qid, text = str(record["_id"]), str(record["text"])
        except (ValueError, KeyError, TypeError):
            raise EvalError(f"{path}:{number}: not a JSON object with `_id` and `text`") from None
        if qid in wanted and text.strip():
            queries[qid] = " ".join(text.split())
    missing = sorted(wanted - set(queries))
    if missing:
        raise EvalError(f"{path} lacks {len(missing)} judged quer{'y' if len(missing) == 1 else 'ies'} (e.g. {missing[0]!r})")
    return queries


def _staged_corpus(corpus_file: Path, cache: Path) -> Path:
    """A folder holding only the corpus file (the dataset folder also holds queries.jsonl): a hard
    link to it, or a copy; not a symlink, which the loader refuses when it leaves the folder."""
    folder = cache / "corpus"
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / "corpus.jsonl"
    target = corpus_file.resolve()
    if link.exists() and not link.is_symlink() and os.path.samefile(link, target):
        return folder
    if link.exists() or link.is_symlink():
        link.unlink()
    try:
        os.link(target, link)
    except OSError:
        shutil.copyfile(target, link)
    return folder


def benchmark(folder: Path, cache: Path, encoder=None, split: str = DEFAULT_SPLIT, progress: bool = False) -> dict:
    """Index (or reuse) and rank the dataset at `folder`; the JSON-able result."""
    corpus_file, queries_file, qrels_file = dataset_files(folder, split)
    qrels = read_qrels(qrels_file)
    queries = read_queries(queries_file, set(qrels))

    from index.build import build_index
    from index.manifest import IndexConfig
    from index.store import load_index
    from qa.retrieval import Retriever

    if encoder is None:
        from index.embedder import default_encoder

        encoder = default_encoder()  # QA_ENCODER picks torch or onnx-int8, as for qa index build
    name = folder.resolve().name or "dataset"
    config = IndexConfig(model=encoder.info, sentences=False)
    index_dir = cache / name / "index"
    report = build_index(_staged_corpus(corpus_file, cache / name), index_dir, encoder, config, progress=progress)
    for skipped in report.skipped:
        print(f"warning: skipped {skipped.path}: {skipped.reason}", file=sys.stderr)
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    retriever = Retriever(load_index(index_dir, config))

    ids = list(queries)
    vectors = encoder.encode([queries[q] for q in ids], progress=progress)
    scores: dict[str, dict[str, list[float]]] = {m: {k: [] for k in METRICS} for m in MODES}
    for qid, vector in zip(ids, vectors):
        graded = qrels[qid]
        relevant = {d for d, g in graded.items() if g > 0}
        for mode in MODES:
            ranked = rank_documents(retriever, queries[qid], vector, mode)
            row = scores[mode]
            row["ndcg@10"].append(ndcg_at_k(ranked, graded, 10))
            row["recall@100"].append(recall_at_k(ranked, relevant, DOCUMENTS))
            row["mrr@10"].append(reciprocal_rank(ranked, relevant, 10))
    return {
        "modes": {m: {k: round(mean(v), 4) for k, v in scores[m].items()} for m in MODES},
        "queries": len(ids),
        "documents": len(retriever.index.documents),
        "build_seconds": round(report.seconds, 3),
        "split": split,
    }


def rank_documents(retriever, question: str, vector, mode: str, documents: int = DOCUMENTS) -> list[str]:
    """Document ids ranked by their best chunk, at most `documents` of them."""
    # candidates enough for `documents` documents of a few chunks each, best first
    ranked = retriever.rank(question, vector, mode=mode, depth=3 * documents)
    return list(retriever.leading_documents(ranked, documents))
