"""`qa eval`: run the gold questions against an index, report metrics, and check --min gates.

A retrieved or cited chunk is *relevant* to a question when it overlaps the span of one of the
question's evidence quotes (same document, intersecting character ranges). Retrieval metrics
use the answerable questions only; each question is encoded once and that vector is reused by
the three modes. Answers are the assistant's own (hybrid retrieval, extractive answer), so
their latency is what a user sees.

Every figure is given for all the questions run (the top-level keys) and for each split of the
gold file (`splits.dev`, `splits.test`); `--split dev|test` runs one split only. A `--min
METRIC=VALUE` gate holds for every split run (it fails when either split misses it);
`dev.METRIC=VALUE` or `test.METRIC=VALUE` gates one split. `--corpus DIR` evaluates on an
index of DIR built (or incrementally updated) under `--cache` (default data/eval-index/<slug of
DIR's name>) instead of `--index`.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from eval.gold import DEFAULT_GOLD, SPLITS, EvalError, GoldError, GoldQuestion, load_gold, locate
from eval.metrics import fact_recall, hit_at_k, mean, ndcg_at_k, percentile, ratio, reciprocal_rank
from eval.report import ANSWER_METRICS, KIND_METRICS, MODES, RETRIEVAL_METRICS

__all__ = ["EvalError", "GoldError", "Gate", "run_cli", "evaluate", "parse_gates", "check_gates", "gold_gate_metrics"]

EXIT_OK, EXIT_USER_ERROR, EXIT_GATE_FAILED = 0, 2, 3
RETRIEVAL_DEPTH = 10  # hit@10, mrr@10 and ndcg@10 need the top 10
EXTRA_ANSWER_METRICS = ("fact_hit",)
LOWER_IS_BETTER = frozenset({"false_abstention", "latency_ms.p50", "latency_ms.p95"})
SPLIT_CHOICES = ("all", *SPLITS)
DEFAULT_BEIR_CACHE = Path("data/beir")
DEFAULT_CORPUS_CACHE = Path("data/eval-index")

Span = tuple[str, int, int]  # doc_id, start, end


# --- gates -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Gate:
    """`--min NAME=VALUE`: `path` locates the metric in the result; `maximum` flips the test."""

    name: str
    path: tuple[str, ...]
    value: float
    maximum: bool = False
    split: str | None = None  # None: every split of the result (or the result itself when it has none)


def gold_gate_metrics() -> dict[str, tuple[tuple[str, ...], bool]]:
    """Gate names of the gold eval -> (path in the result, lower is better)."""
    names: dict[str, tuple[tuple[str, ...], bool]] = {}
    for metric in RETRIEVAL_METRICS:
        names[metric] = (("modes", "hybrid", metric), False)
        for mode in MODES:
            names[f"{mode}.{metric}"] = (("modes", mode, metric), False)
    for metric in (*ANSWER_METRICS, *EXTRA_ANSWER_METRICS):
        names[metric] = (("answers", metric), metric in LOWER_IS_BETTER)
    for p in ("p50", "p95"):
        names[f"latency_ms.{p}"] = (("latency_ms", p), True)
    return names


def parse_gates(specs: list[str], known: dict[str, tuple[tuple[str, ...], bool]], splits: bool = False) -> list[Gate]:
    """Parse `METRIC=VALUE` strings; `EvalError` for a malformed spec or an unknown metric.

    With `splits`, `dev.METRIC=VALUE` and `test.METRIC=VALUE` gate one split of the gold set.
    """
    gates = []
    for spec in specs:
        name, sep, raw = (spec or "").partition("=")
        name, raw = name.strip(), raw.strip()
        if not sep or not name or not raw:
            raise EvalError(f"--min {spec!r}: expected METRIC=VALUE, e.g. --min hit@5=0.8")
        split = None
        head, dot, rest = name.partition(".")
        if splits and dot and head in SPLITS:
            split, name = head, rest
        if name not in known:
            bare = sorted(n for n in known if "." not in n)
            scoped = " or SPLIT.METRIC for one split of the gold set, e.g. test.hit@5" if splits else ""
            raise EvalError(f"--min {spec!r}: unknown metric {name!r}; known: {', '.join(bare)} "
                            f"(or MODE.METRIC for a retrieval mode, e.g. dense.ndcg@10{';' if scoped else ''}{scoped})")
        try:
            value = float(raw)
        except ValueError:
            raise EvalError(f"--min {spec!r}: {raw!r} is not a number") from None
        if math.isnan(value) or value < 0:
            raise EvalError(f"--min {spec!r}: the value must be a number >= 0")
        path, lower = known[name]
        if not path[0].startswith("latency") and value > 1:
            raise EvalError(f"--min {spec!r}: {name} is a share between 0 and 1, not {raw}")
        gates.append(Gate(name, path, value, maximum=lower, split=split))
    return gates


def check_gates(result: dict, gates: list[Gate]) -> list[str]:
    """One message per failed gate (a missing or undefined metric fails).

    When the result has `splits`, a gate without a split is checked on each of them and one
    with a split on that one (undefined when the run left it out, e.g. `--split dev`); a result
    without splits (BEIR) is checked as a whole.
    """
    failed = []
    splits = result.get("splits") if isinstance(result.get("splits"), dict) else None
    for gate in gates:
        if gate.split is not None:
            targets = [(f"{gate.split}.{gate.name}", (splits or {}).get(gate.split))]
        elif splits:
            targets = [(f"{name}.{gate.name}", section) for name, section in splits.items()]
        else:
            targets = [(gate.name, result)]
        for label, value in targets:
            for key in gate.path:
                value = value.get(key) if isinstance(value, dict) else None
            bound = "maximum" if gate.maximum else "minimum"
            if not isinstance(value, (int, float)):
                failed.append(f"gate failed: {label} is undefined for this run ({bound} {gate.value:g})")
            elif (value > gate.value) if gate.maximum else (value < gate.value):
                failed.append(f"gate failed: {label} = {value:.3f} is {'above the maximum' if gate.maximum else 'below the minimum'} {gate.value:g}")
    return failed


# --- CLI entry --------------------------------------------------------------------------

def run_cli(args, encoder=None) -> int:
    """`qa eval [beir DIR]`; returns the exit code, raises `EvalError` (and index errors) for user errors."""
    target = list(getattr(args, "target", None) or [])
    cache = getattr(args, "cache", None)
    corpus = getattr(args, "corpus", None)
    split = getattr(args, "split", None) or "all"
    if target:
        if len(target) != 2 or target[0] != "beir":
            raise EvalError(f"unknown eval target {' '.join(target)!r}; use `qa eval` for the gold questions or `qa eval beir DIR`")
        if corpus is not None:
            raise EvalError("--corpus is for the gold questions; `qa eval beir DIR` indexes DIR itself")
        if split != "all":
            raise EvalError("--split is for the gold questions; `qa eval beir DIR` reads the qrels split from QA_BEIR_SPLIT")
        from eval import beir

        gates = parse_gates(args.min, beir.gate_metrics())
        args.cache = Path(cache) if cache is not None else DEFAULT_BEIR_CACHE
        return beir.run(args, gates, encoder=encoder)
    if split not in SPLIT_CHOICES:
        raise EvalError(f"--split {split!r}: use one of {', '.join(SPLIT_CHOICES)}")
    gates = parse_gates(args.min, gold_gate_metrics(), splits=True)
    gold_path = Path(args.gold) if args.gold is not None else DEFAULT_GOLD
    questions = load_gold(gold_path)
    if split != "all":
        questions = [q for q in questions if q.split == split]
        if not questions:
            raise GoldError(f"gold file {gold_path} holds no {split} questions")

    from qa.assistant import Assistant

    if corpus is not None:
        if encoder is None:
            from index.embedder import default_encoder

            encoder = default_encoder()  # QA_ENCODER picks torch or onnx-int8, as for qa index build
        index_dir = corpus_index(Path(corpus), Path(cache) if cache is not None else DEFAULT_CORPUS_CACHE, encoder,
                                 progress=not args.json and sys.stderr.isatty())
    else:
        index_dir = Path(args.index)
    assistant = Assistant.open(index_dir, encoder=encoder)
    result = evaluate(assistant, questions, args.k, gold_path=gold_path, split=split)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        from eval.report import format_table

        print(format_table(result), end="")
    from eval.report import write_report

    paths = write_report(result, Path(args.reports))
    print(f"report written to {paths['markdown']} (also {paths['json'].name}, {paths['plot'].name})",
          file=sys.stderr if args.json else sys.stdout)
    failed = check_gates(result, gates)
    for message in failed:
        print(message, file=sys.stderr)
    return EXIT_GATE_FAILED if failed else EXIT_OK


def corpus_index(folder: Path, cache: Path, encoder, progress: bool = False) -> Path:
    """The index of the corpus folder `folder` under `cache`/<slug of its name>, built or updated.

    The build is incremental (unchanged files are neither read nor embedded again), so a second
    run on the same folder costs little. Every file of the folder is indexed: pass a folder
    holding only the documents (a list of sources beside them would be indexed too).
    """
    from corpus.document import slugify
    from index.build import build_index
    from index.manifest import IndexConfig

    if not folder.is_dir():
        raise EvalError(f"corpus folder {folder} does not exist")
    index_dir = cache / slugify(folder.resolve().name or "corpus")
    report = build_index(folder, index_dir, encoder, IndexConfig(model=encoder.info), progress=progress)
    for skipped in report.skipped:
        print(f"warning: skipped {skipped.path}: {skipped.reason}", file=sys.stderr)
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    return index_dir


# --- evaluation -------------------------------------------------------------------------

def evaluate(assistant, gold, k: int = 5, gold_path: Path | str | None = None, split: str = "all") -> dict:
    """Run every gold question; `gold` is a list of `GoldQuestion` or a gold file path.

    `split` ("all", "dev" or "test") keeps the questions of one split only.
    """
    if isinstance(gold, (str, Path)):
        gold_path = gold_path or gold
        gold = load_gold(Path(gold))
    if split not in SPLIT_CHOICES:
        raise EvalError(f"split must be one of {', '.join(SPLIT_CHOICES)}, not {split!r}")
    if split != "all":
        gold = [q for q in gold if q.split == split]
    if not gold:
        raise GoldError("no gold questions to evaluate")
    if k < 1:
        raise EvalError(f"k must be at least 1, not {k}")
    from qa.question import check_question

    index = assistant.index
    index_dir = Path(index.folder).parent
    texts = [check_question(q.question) for q in gold]
    spans = {q.id: evidence_spans(q, index, index_dir) for q in gold}
    vectors = assistant.encoder.encode(texts)  # one vector per question, shared by the modes
    depth = max(RETRIEVAL_DEPTH, k)

    per_mode: dict[str, dict[str, dict]] = {mode: {} for mode in MODES}  # mode -> question id -> scores
    retrieval: dict[str, dict] = {}  # question id -> hybrid scores and the first relevant rank per mode
    for q, text, vector in zip(gold, texts, vectors):
        if not q.answerable:
            continue
        ideal = _ideal_relevant(index, spans[q.id])
        for mode in MODES:
            hits = assistant.retriever.search(text, vector, k=depth, mode=mode)
            scores = _retrieval_scores(hits, spans[q.id], ideal, k)
            per_mode[mode][q.id] = scores
            entry = retrieval.setdefault(q.id, {"rank": {}})
            entry["rank"][mode] = scores["first_relevant"]
            if mode == "hybrid":
                entry.update({m: scores[m] for m in ("hit@1", "hit@5", "hit@k", "mrr@10", "ndcg@10")})

    records = []
    for q, text in zip(gold, texts):
        answer = assistant.ask(text, k=k)
        records.append(_answer_record(q, answer, spans[q.id], retrieval.get(q.id), k))

    result = {
        "n": len(gold),
        "k": k,
        "gold": str(gold_path) if gold_path is not None else "",
        "index": str(index_dir),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "split": split,
        **_summary(records, per_mode),
        "splits": {name: _summary([r for r in records if r["split"] == name], per_mode)
                   for name in SPLITS if any(r["split"] == name for r in records)},
        "failures": [r["failure"] for r in records if r["failure"]],
        "questions": [{key: value for key, value in r.items() if key != "failure"} for r in records],
    }
    return result


def _summary(records: list[dict], per_mode: dict[str, dict[str, dict]]) -> dict:
    """Every figure of the questions of `records`: counts, retrieval per mode, answers, latency, by kind."""
    ids = [r["id"] for r in records]
    return {
        "n": len(records),
        "answerable": sum(r["answerable"] for r in records),
        "modes": {mode: _mean_scores([rows[i] for i in ids if i in rows]) for mode, rows in per_mode.items()},
        "answers": _answer_metrics(records),
        "latency_ms": {
            "p50": round(percentile([r["latency_ms"] for r in records], 50), 2),
            "p95": round(percentile([r["latency_ms"] for r in records], 95), 2),
        },
        "by_kind": _by_kind(records),
    }


def retrieved_questions(sets: list[tuple[object, Path]], split: str) -> Iterator[tuple[int, object, GoldQuestion, object]]:
    """For each (assistant, gold path) set, by its number, each `split` question with what its
    assistant retrieves for it (`Assistant.retrieve`): what the answer layer's fits learn from."""
    from qa.question import check_question

    for number, (assistant, gold_path) in enumerate(sets):
        for q in load_gold(Path(gold_path)):
            if q.split == split:
                yield number, assistant, q, assistant.retrieve(check_question(q.question))


def evidence_spans(q: GoldQuestion, index, index_dir: Path) -> list[Span]:
    spans = []
    for e in q.evidence:
        doc = index.documents.get(e.doc_id)
        if doc is None:
            raise EvalError(f"gold question {q.id!r} quotes document {e.doc_id!r}, which the index at {index_dir} "
                            f"does not hold; evaluate an index built from the gold file's corpus")
        found = locate(e.quote, doc.text)
        if found is None:
            raise EvalError(f"gold question {q.id!r}: the quote {e.quote[:60]!r}... is not in document {e.doc_id!r} "
                            f"of the index at {index_dir}; fix the quote or rebuild the index")
        spans.append((e.doc_id, *found))
    return spans


def _overlaps(chunk, span: Span) -> bool:
    doc_id, start, end = span
    return chunk.doc_id == doc_id and chunk.start < end and start < chunk.end


def _relevant(chunk, spans: list[Span]) -> bool:
    return any(_overlaps(chunk, s) for s in spans)


def _covered(spans: list[Span], chunks) -> int:
    """How many evidence spans at least one of `chunks` overlaps."""
    return sum(1 for s in spans if any(_overlaps(c, s) for c in chunks))


def _ideal_relevant(index, spans: list[Span]) -> int:
    """Most relevant chunks a result list can hold: results never hold two overlapping chunks
    of one document, so this is the largest set of pairwise non-overlapping relevant chunks."""
    best = 0
    for doc_id in {s[0] for s in spans}:
        chunks = sorted((c for c in index.document_chunks(doc_id) if _relevant(c, spans)), key=lambda c: c.end)
        last_end = -1
        for c in chunks:
            if c.start >= last_end:
                best, last_end = best + 1, c.end
    return best


def _retrieval_scores(hits, spans: list[Span], ideal: int, k: int) -> dict:
    ranked = [h.chunk.chunk_id for h in hits]
    relevant = {h.chunk.chunk_id for h in hits if _relevant(h.chunk, spans)}
    # Gains: the relevant chunks retrieved, padded with placeholders up to what an ideal list
    # could hold, so that IDCG is the best a non-overlapping result list can reach.
    top = [h for h in hits[:RETRIEVAL_DEPTH] if _relevant(h.chunk, spans)]
    ideal = max(ideal, len(top))
    gains = {h.chunk.chunk_id: 1.0 for h in top}
    gains.update({f"\0ideal-{i}": 1.0 for i in range(ideal - len(top))})
    scores = {f"hit@{n}": hit_at_k(ranked, relevant, n) for n in (1, 3, 5, 10)}
    scores["mrr@10"] = reciprocal_rank(ranked, relevant, RETRIEVAL_DEPTH)
    scores["ndcg@10"] = ndcg_at_k(ranked, gains, RETRIEVAL_DEPTH)
    scores["evidence_recall@k"] = ratio(_covered(spans, [h.chunk for h in hits[:k]]), len(spans))
    scores["hit@k"] = hit_at_k(ranked, relevant, k)
    scores["first_relevant"] = next((h.rank for h in top), None)  # rank of the first relevant chunk in the top 10
    return scores


def _mean_scores(rows: list[dict]) -> dict:
    return {m: (round(mean([r[m] for r in rows]), 4) if rows else None) for m in RETRIEVAL_METRICS}


def _hit_json(hit, spans: list[Span]) -> dict:
    c = hit.chunk
    return {"rank": hit.rank, "doc_id": c.doc_id, "chunk_id": c.chunk_id, "score": round(hit.score, 6),
            "relevant": _relevant(c, spans), "text": c.text}


def _answer_record(q: GoldQuestion, answer, spans: list[Span], retrieval: dict | None, k: int) -> dict:
    cited = [c.chunk for c in answer.citations]
    record = {
        "id": q.id, "kind": q.kind, "split": q.split, "answerable": q.answerable, "abstained": answer.abstained,
        "latency_ms": float(answer.timings_ms.get("total", 0.0)),
        **{m: (retrieval[m] if retrieval else None) for m in ("hit@1", "hit@5", "hit@k", "mrr@10", "ndcg@10")},
        "first_relevant": retrieval["rank"] if retrieval else None,
        "fact_recall": None, "fact_hit": None, "cited": len(cited),
        "cited_relevant": sum(_relevant(c, spans) for c in cited),
        "evidence": len(spans), "evidence_cited": _covered(spans, cited),
    }
    reasons = []
    if q.answerable:
        found = 0.0 if answer.abstained else fact_recall(answer.text, q.facts)
        record["fact_recall"], record["fact_hit"] = found, float(not answer.abstained and found == 1.0)
        if not record["hit@k"]:
            reasons.append(f"retrieval_miss@{k}")
        if answer.abstained:
            reasons.append("false_abstention")
        elif found < 1.0:
            from eval.metrics import normalise_text

            missing = [f for f in q.facts if normalise_text(f) not in normalise_text(answer.text)]
            reasons.append("missing_facts: " + " | ".join(missing))
    elif not answer.abstained:
        reasons.append("answered_unanswerable")
    record["failure"] = {
        "id": q.id, "kind": q.kind, "split": q.split, "question": q.question, "reason": "; ".join(reasons), "answer": answer.text,
        "retrieved": [_hit_json(h, spans) for h in answer.retrieved[:3]],
    } if reasons else None
    return record


def _answer_metrics(records: list[dict]) -> dict:
    answerable = [r for r in records if r["answerable"]]
    unanswerable = [r for r in records if not r["answerable"]]
    answered = [r for r in answerable if not r["abstained"]]
    abstained = [r for r in records if r["abstained"]]

    def share(num: float, den: float) -> float | None:
        return round(ratio(num, den), 4) if den else None

    return {
        "fact_recall": share(sum(r["fact_recall"] for r in answerable), len(answerable)),
        "citation_precision": share(sum(r["cited_relevant"] for r in answered), sum(r["cited"] for r in answered)),
        "citation_recall": share(sum(r["evidence_cited"] for r in answerable), sum(r["evidence"] for r in answerable)),
        "abstention_precision": share(sum(not r["answerable"] for r in abstained), len(abstained)),
        "abstention_recall": share(sum(r["abstained"] for r in unanswerable), len(unanswerable)),
        "false_abstention": share(sum(r["abstained"] for r in answerable), len(answerable)),
        "fact_hit": share(sum(r["fact_hit"] for r in answerable), len(answerable)),
    }


def _by_kind(records: list[dict]) -> dict:
    """Per kind: n, hybrid retrieval and answer figures of its answerable questions, and the
    share that abstained (false abstention for an answerable kind, abstention recall for
    `unanswerable`)."""
    out = {}
    for kind in sorted({r["kind"] for r in records}):
        rows = [r for r in records if r["kind"] == kind]
        answerable = [r for r in rows if r["answerable"]]
        answers = _answer_metrics(rows)

        def avg(metric: str) -> float | None:
            return round(mean([r[metric] for r in answerable]), 4) if answerable else None

        stats = {"n": len(rows)}
        for metric in KIND_METRICS[1:]:
            if metric == "abstained":
                stats[metric] = round(mean([float(r["abstained"]) for r in rows]), 4)
            elif metric in answers:
                stats[metric] = answers[metric] if answerable else None
            else:
                stats[metric] = avg(metric)
        out[kind] = stats
    return out
