"""Feedback on answers: one JSON line per vote appended to `<data_dir>/feedback.jsonl`."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from pathlib import Path

FEEDBACK_FILE = "feedback.jsonl"
VOTES = ("up", "down")
MAX_COMMENT_CHARS = 2000

_lock = threading.Lock()  # appends from the UI's worker threads must not interleave


def feedback_record(question: str, answer: str, citations: list[dict], vote: str, comment: str = "",
                    now: datetime | None = None) -> dict:
    """The record of one vote; `citations` are dicts with n, doc_id, chunk_id and quote."""
    if vote not in VOTES:
        raise ValueError(f"vote must be one of {', '.join(VOTES)}, not {vote!r}")
    when = (now or datetime.now(timezone.utc)).isoformat(timespec="seconds")
    return {
        "time": when,
        "question": question,
        "answer": answer,
        "citations": [
            {"n": c["n"], "doc_id": c["doc_id"], "chunk_id": c["chunk_id"], "quote": c["quote"]} for c in citations
        ],
        "vote": vote,
        "comment": (comment or "").strip()[:MAX_COMMENT_CHARS],
    }


def append_feedback(data_dir: Path, record: dict) -> Path:
    """Append `record` as one JSON line to the feedback file (creating the folder); returns its path."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / FEEDBACK_FILE
    line = json.dumps(record, ensure_ascii=False) + "\n"
    with _lock, open(path, "a", encoding="utf-8") as out:
        out.write(line)
        out.flush()
    return path


def read_feedback(data_dir: Path) -> list[dict]:
    path = Path(data_dir) / FEEDBACK_FILE
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
