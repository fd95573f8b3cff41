"""Load benchmark of the served UI's "/ask" API (a script, not a test).

    python -m eval.bench_ui --index /tmp/ui_idx          # starts `qa serve` itself
    python -m eval.bench_ui --url http://127.0.0.1:7860/ # or measures a running server

Without --url it starts `qa serve` in a subprocess on a free port and measures the time
from process start to the first successful /ask answer. Then N concurrent gradio_client
clients each ask M gold questions (eval/gold.jsonl), all within a time budget, and it
prints the error count and latency percentiles.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "eval" / "gold.jsonl"
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = q / 100 * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_questions(path: Path) -> list[str]:
    return [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def qa_command() -> list[str]:
    script = Path(sys.executable).parent / "qa"
    return [str(script)] if script.exists() else [sys.executable, "-m", "qa.cli"]


def start_server(index: Path, port: int, data: Path, log_path: Path, budget: float) -> tuple[subprocess.Popen, float, str]:
    """Start `qa serve`; returns the process, seconds to the first good /ask answer and the URL."""
    from gradio_client import Client

    url = f"http://127.0.0.1:{port}/"
    log = open(log_path, "w")
    started = time.perf_counter()
    proc = subprocess.Popen([*qa_command(), "serve", "--index", str(index), "--port", str(port), "--data", str(data)],
                            stdout=log, stderr=subprocess.STDOUT)
    deadline = started + budget
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"qa serve exited with code {proc.returncode}; see {log_path}")
        try:
            Client(url, verbose=False).predict("What is CCCMC?", api_name="/ask")
            return proc, time.perf_counter() - started, url
        except Exception:
            time.sleep(0.25)
    stop(proc)
    raise SystemExit(f"no answer from {url} within {budget:.0f} s; see {log_path}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_load(url: str, questions: list[str], clients: int, per_client: int, budget: float) -> dict:
    from gradio_client import Client

    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + budget
    unfinished = [0]

    def worker(c: int) -> None:
        try:
            client = Client(url, verbose=False)
        except Exception as exc:
            with lock:
                errors.append(f"client {c}: connect: {exc}")
                unfinished[0] += per_client
            return
        for i in range(per_client):
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                with lock:
                    unfinished[0] += per_client - i
                return
            question = questions[(c * per_client + i) % len(questions)]
            t0 = time.perf_counter()
            try:
                result = client.submit(question, api_name="/ask").result(timeout=remaining)
                data = json.loads(result) if isinstance(result, str) else result
                if data.get("question") != " ".join(question.split()):
                    raise ValueError("answer is for another question")
                with lock:
                    latencies.append((time.perf_counter() - t0) * 1000)
            except Exception as exc:
                with lock:
                    errors.append(f"client {c} q{i}: {type(exc).__name__}: {str(exc)[:120]}")

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(c,), daemon=True) for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.0, deadline - time.perf_counter()) + 5)
    wall = time.perf_counter() - started
    with lock:
        done = list(latencies)
        errs = list(errors)
    return {
        "clients": clients, "per_client": per_client, "requested": clients * per_client, "ok": len(done),
        "errors": len(errs), "not_run": unfinished[0], "wall_s": round(wall, 2),
        "throughput_qps": round(len(done) / wall, 2) if wall else 0.0,
        "p50_ms": round(percentile(done, 50), 1), "p95_ms": round(percentile(done, 95), 1),
        "max_ms": round(max(done), 1) if done else float("nan"), "error_samples": errs[:5],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="benchmark this running server instead of starting `qa serve`")
    parser.add_argument("--index", type=Path, default=Path(os.environ.get("QA_INDEX", "data/index")))
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--questions", type=int, default=25, help="questions per client")
    parser.add_argument("--budget", type=float, default=300, help="seconds allowed for the load phase")
    parser.add_argument("--startup-budget", type=float, default=300, help="seconds allowed for the server to answer")
    parser.add_argument("--gold", type=Path, default=GOLD)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    questions = load_questions(args.gold)
    proc = None
    result: dict = {}
    try:
        if args.url:
            url = args.url
        else:
            import tempfile

            scratch = Path(tempfile.mkdtemp(prefix="bench_ui_"))
            proc, startup, url = start_server(args.index, free_port(), scratch / "data", scratch / "serve.log",
                                              args.startup_budget)
            result["startup_to_first_answer_s"] = round(startup, 2)
        result.update(run_load(url, questions, args.clients, args.questions, args.budget))
    finally:
        if proc is not None:
            stop(proc)
    if args.json:
        print(json.dumps(result))
    else:
        if "startup_to_first_answer_s" in result:
            print(f"qa serve start → first /ask answer: {result['startup_to_first_answer_s']:.2f} s")
        print(f"{result['clients']} clients × {result['per_client']} questions: {result['ok']} ok, "
              f"{result['errors']} errors, {result['not_run']} not run in the budget; wall {result['wall_s']} s, "
              f"{result['throughput_qps']} answers/s")
        print(f"latency p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, max {result['max_ms']} ms")
        for sample in result["error_samples"]:
            print(f"  error: {sample}")
    return 1 if result["errors"] or result["not_run"] else 0


if __name__ == "__main__":
    sys.exit(main())
