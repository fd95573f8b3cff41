"""Render an eval result dict as a terminal table, Markdown, a PNG plot and files.

A result with `splits` (the gold eval) shows every figure for all its questions and for each
split side by side: columns `all`, `dev`, `test` (retrieval: one column per mode and split) and,
by kind, one row per kind and split.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "MODES",
    "RETRIEVAL_METRICS",
    "ANSWER_METRICS",
    "HIT_KS",
    "fmt_num",
    "format_table",
    "to_markdown",
    "plot_hit_at_k",
    "write_report",
]

MODES: tuple[str, ...] = ("dense", "lexical", "hybrid")
RETRIEVAL_METRICS: tuple[str, ...] = (
    "hit@1", "hit@3", "hit@5", "hit@10", "mrr@10", "ndcg@10", "evidence_recall@k",
)
ANSWER_METRICS: tuple[str, ...] = (
    "fact_recall", "citation_precision", "citation_recall",
    "abstention_precision", "abstention_recall", "false_abstention",
)
KIND_METRICS: tuple[str, ...] = (
    "n", "hit@1", "hit@5", "mrr@10", "ndcg@10", "fact_recall", "fact_hit",
    "citation_precision", "citation_recall", "abstained",
)
ALL = "all"
HIT_KS: tuple[int, ...] = (1, 3, 5, 10)
MAX_FAILURES = 20
SNIPPET_CHARS = 160


def fmt_num(value: Any) -> str:
    """Format a number with 3 decimals (ints as-is); '-' when missing."""
    if value is None or isinstance(value, bool):
        return "-" if value is None else str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _section(result: Mapping[str, Any], key: str) -> dict:
    """result[key] if it is a mapping, else {}."""
    value = result.get(key) if isinstance(result, Mapping) else None
    return dict(value) if isinstance(value, Mapping) else {}


def _failures(result: Mapping[str, Any]) -> list[dict]:
    """The failures list, keeping only dict entries."""
    value = result.get("failures") if isinstance(result, Mapping) else None
    if not isinstance(value, Sequence) or isinstance(value, str):
        return []
    return [f for f in value if isinstance(f, Mapping)]


def _modes(result: Mapping[str, Any]) -> list[str]:
    """Mode names present: known modes first in fixed order, then extras."""
    modes = _section(result, "modes")
    return [m for m in MODES if m in modes] + sorted(m for m in modes if m not in MODES)


def _metric_rows(section: Mapping[str, Any], preferred: Sequence[str]) -> list[str]:
    """Metric names: preferred ones present, then any extras in sorted order."""
    extra = sorted(k for k in section if k not in preferred)
    return [k for k in preferred if k in section] + extra


def _text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Plain text table: first column left-aligned, the rest right-aligned."""
    widths = [len(h) for h in header]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row)]

    def line(cells: Sequence[str]) -> str:
        parts = [cells[0].ljust(widths[0])]
        parts += [c.rjust(w) for c, w in zip(cells[1:], widths[1:])]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def _one_line(text: Any, limit: int | None = None) -> str:
    """Collapse whitespace to single spaces, optionally truncating."""
    flat = re.sub(r"\s+", " ", str(text if text is not None else "")).strip()
    if limit is not None and len(flat) > limit:
        flat = flat[:limit].rstrip() + "…"
    return flat


def _splits(result: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """(label, section) for the overall figures and each split; just ('all', result) without splits."""
    splits = _section(result, "splits")
    return [(ALL, result)] + [(name, splits[name]) for name in splits if isinstance(splits[name], Mapping)]


def _label(split: str, name: str, alone: bool) -> str:
    """A column's name: the mode alone for a result without splits, else split and mode."""
    return name if alone else f"{split} {name}"


def _mode_rows(result: Mapping[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Header and rows for the retrieval table (metrics x modes, per split); '-' if missing."""
    names = _modes(result)
    columns: list[tuple[str, Mapping[str, Any]]] = []
    parts = _splits(result)
    for split, part in parts:
        modes = _section(part, "modes")
        for n in names:
            columns.append((_label(split, n, len(parts) == 1), modes[n] if isinstance(modes.get(n), Mapping) else {}))
    extras = sorted({m for _, s in columns for m in s if m not in RETRIEVAL_METRICS})
    order = [*RETRIEVAL_METRICS, *extras] if names else []
    rows = [[metric, *(fmt_num(s.get(metric)) for _, s in columns)] for metric in order]
    return ["metric", *(label for label, _ in columns)], rows


def _kv_rows(section: Mapping[str, Any], preferred: Sequence[str]) -> list[list[str]]:
    """Rows of (name, formatted value)."""
    return [[k, fmt_num(section[k])] for k in _metric_rows(section, preferred)]


def _split_rows(result: Mapping[str, Any], key: str, preferred: Sequence[str], first: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of `result[key]` with one value column per split ('value' without splits)."""
    parts = _splits(result)
    sections = [(split, _section(part, key)) for split, part in parts]
    names = _metric_rows({k: None for _, s in sections for k in s}, preferred)
    header = [first, "value" if first == "metric" else "ms"] if len(parts) == 1 else [first, *(split for split, _ in parts)]
    return header, [[n, *(fmt_num(s.get(n)) for _, s in sections)] for n in names]


def _kind_rows(result: Mapping[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Header and rows for the by-kind breakdown: one row per kind (and split, when there are splits)."""
    parts = _splits(result)
    tables = [(split, _section(part, "by_kind")) for split, part in parts]
    rows = []
    for kind in sorted({k for _, t in tables for k in t}):
        for split, by_kind in tables:
            if kind not in by_kind:
                continue
            stats = by_kind[kind] if isinstance(by_kind[kind], Mapping) else {}
            cells = [str(kind)] + ([split] if len(parts) > 1 else [])
            rows.append([*cells, *(fmt_num(stats.get(m)) for m in KIND_METRICS)])
    return ["kind", *(["split"] if len(parts) > 1 else []), *KIND_METRICS], rows


def _summary_line(result: Mapping[str, Any]) -> str:
    """One line with n (and n per split), k, split, gold, index and created."""
    keys = ("n", "k", "split", "gold", "index", "created")
    items = [f"{key}={result[key]}" for key in keys if key in result]
    counts = [f"{split}={part.get('n', '?')}" for split, part in _splits(result)[1:]]
    if counts:
        items.insert(1, "(" + " ".join(counts) + ")")
    return "  ".join(items)


def _failure_tag(f: Mapping[str, Any]) -> str:
    return ", ".join(str(f[key]) for key in ("kind", "split") if f.get(key)) or "?"


def format_table(result: Mapping[str, Any]) -> str:
    """Plain-text terminal report of an eval result."""
    out: list[str] = ["Evaluation report"]
    summary = _summary_line(result)
    if summary:
        out.append(summary)
    header, rows = _mode_rows(result)
    out += ["", "Retrieval"]
    out.append(_text_table(header, rows) if rows else "(no retrieval results)")
    header, rows = _split_rows(result, "answers", (*ANSWER_METRICS, "fact_hit"), "metric")
    out += ["", "Answers"]
    out.append(_text_table(header, rows) if rows else "(no answer metrics)")
    header, rows = _split_rows(result, "latency_ms", ("p50", "p95"), "percentile")
    out += ["", "Latency (ms)"]
    out.append(_text_table(header, rows) if rows else "(no latency data)")
    header, rows = _kind_rows(result)
    out += ["", "By kind"]
    out.append(_text_table(header, rows) if rows else "(no per-kind data)")
    failures = _failures(result)
    out += ["", f"Failures ({len(failures)})"]
    for f in failures[:MAX_FAILURES]:
        out.append(f"- [{f.get('id', '?')}] ({_failure_tag(f)}) "
                   f"{_one_line(f.get('reason', ''))}: {_one_line(f.get('question', ''), 120)}")
    if len(failures) > MAX_FAILURES:
        out.append(f"... and {len(failures) - MAX_FAILURES} more")
    if not failures:
        out.append("(none)")
    return "\n".join(out) + "\n"


def md_escape(text: Any, limit: int | None = None) -> str:
    """Make text safe for a Markdown table cell: one line, '|' escaped."""
    flat = _one_line(text, limit)
    return flat.replace("\\", "\\\\").replace("|", "\\|")


def _md_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], left: Sequence[int] = (0,)
) -> str:
    """Markdown table: columns in ``left`` left-aligned, the rest right-aligned."""
    align = [":---" if i in left else "---:" for i in range(len(header))]
    lines = ["| " + " | ".join(md_escape(h) for h in header) + " |",
             "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(md_escape(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _md_failure(f: Mapping[str, Any]) -> list[str]:
    """Markdown block for one failure with its top-3 retrieved chunks."""
    out = [f"### {md_escape(f.get('id', '?'))} ({md_escape(_failure_tag(f))})", "",
           f"- **Question:** {md_escape(f.get('question', ''))}",
           f"- **Reason:** {md_escape(f.get('reason', ''))}",
           f"- **Answer:** {md_escape(f.get('answer', ''), 400)}", ""]
    retrieved = [r for r in (f.get("retrieved") or []) if isinstance(r, Mapping)]
    if not retrieved:
        return out + ["_No retrieved chunks._", ""]
    rows = [[str(r.get("rank", i)), str(r.get("doc_id", "")), fmt_num(r.get("score")),
             _one_line(r.get("text", ""), SNIPPET_CHARS)]
            for i, r in enumerate(retrieved[:3], start=1)]
    return out + [_md_table(["rank", "doc_id", "score", "text"], rows, left=(1, 3)), ""]


def to_markdown(result: Mapping[str, Any]) -> str:
    """Markdown report: metric tables plus failures with top-3 retrieved."""
    out = ["# Evaluation report", ""]
    keys = ("n", "k", "split", "gold", "index", "created")
    out += [f"- **{key}:** {md_escape(result[key])}" for key in keys if key in result]
    splits = _splits(result)[1:]
    if splits:
        out.append("- **questions per split:** " + ", ".join(f"{s} {md_escape(p.get('n', '?'))}" for s, p in splits))
    header, rows = _mode_rows(result)
    out += ["", "## Retrieval", "",
            _md_table(header, rows) if rows else "_No retrieval results._"]
    header, rows = _split_rows(result, "answers", (*ANSWER_METRICS, "fact_hit"), "metric")
    out += ["", "## Answers", "", _md_table(header, rows) if rows else "_No answer metrics._"]
    header, rows = _split_rows(result, "latency_ms", ("p50", "p95"), "percentile")
    out += ["", "## Latency (ms)", "", _md_table(header, rows) if rows else "_No latency data._"]
    header, rows = _kind_rows(result)
    left = (0, 1) if len(_splits(result)) > 1 else (0,)
    out += ["", "## By kind", "", _md_table(header, rows, left=left) if rows else "_No per-kind data._"]
    failures = _failures(result)
    out += ["", f"## Failures ({len(failures)})", ""]
    if not failures:
        out += ["_None._", ""]
    for f in failures:
        out += _md_failure(f)
    return "\n".join(out).rstrip("\n") + "\n"


def plot_hit_at_k(result: Mapping[str, Any], path: Path) -> None:
    """Save a PNG line plot of hit@k (k = 1, 3, 5, 10) per retrieval mode."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    modes = _section(result, "modes")
    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    try:
        plotted = 0
        for name in _modes(result):
            section = modes[name] if isinstance(modes[name], Mapping) else {}
            points = [(k, section.get(f"hit@{k}")) for k in HIT_KS]
            points = [(k, float(v)) for k, v in points if isinstance(v, (int, float))]
            if points:
                xs, ys = zip(*points)
                ax.plot(xs, ys, marker="o", label=name)
                plotted += 1
        for split, part in _splits(result)[1:]:
            hybrid = _section(part, "modes").get("hybrid")
            if not isinstance(hybrid, Mapping):
                continue
            points = [(k, hybrid.get(f"hit@{k}")) for k in HIT_KS]
            points = [(k, float(v)) for k, v in points if isinstance(v, (int, float))]
            if points:
                xs, ys = zip(*points)
                ax.plot(xs, ys, marker=".", linestyle="--", label=f"hybrid ({split})")
                plotted += 1
        ax.set_xlabel("k")
        ax.set_ylabel("hit@k")
        ax.set_title("Retrieval hit@k by mode")
        ax.set_xticks(list(HIT_KS))
        ax.set_ylim(0, 1.05)
        ax.grid(True, alpha=0.3)
        if plotted:
            ax.legend()
        else:
            ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, format="png", bbox_inches="tight")
    finally:
        plt.close(fig)


def safe_timestamp(created: Any) -> str:
    """Filename-safe version of an ISO timestamp (e.g. 2024-05-01T12-30-00Z)."""
    text = str(created or "").strip()
    text = text.replace("+00:00", "Z").replace(":", "-")
    text = re.sub(r"[^0-9A-Za-z._-]+", "_", text).strip("._-")
    return text or "unknown"


def write_report(result: Mapping[str, Any], reports_dir: Path) -> dict[str, Path]:
    """Write eval-<timestamp>.{json,md,png} plus latest.* copies; return paths."""
    reports_dir = Path(reports_dir)
    reports_dir.mkdir(parents=True, exist_ok=True)
    stem = f"eval-{safe_timestamp(result.get('created'))}"
    paths = {
        "json": reports_dir / f"{stem}.json",
        "markdown": reports_dir / f"{stem}.md",
        "plot": reports_dir / f"{stem}.png",
    }
    paths["json"].write_text(
        json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )
    paths["markdown"].write_text(to_markdown(result), encoding="utf-8")
    plot_hit_at_k(result, paths["plot"])
    for path in paths.values():
        shutil.copyfile(path, reports_dir / f"latest{path.suffix}")
    return paths
