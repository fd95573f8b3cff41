"""Fault injection for the index: builds killed with SIGKILL, 28 corruptions, a full disk.

    python -m eval.faults [--json] [--work DIR] [--group kill|corrupt|disk]

Builds an index of the seed documents (corpus/documents) with the deterministic fake encoder of
tests/fakes.py (a few seconds), then for each fault, on a fresh copy of that index:

- kill (10): a build of the corpus with two more documents, stalled at one of `STALLS` (loading,
  embedding, writing each kind of file, the swap of CURRENT, the cleanup after it) and SIGKILLed;
- corrupt (28): one damage of `CORRUPTIONS` to the live generation or to CURRENT;
- disk (8 + 5): that build meeting a full disk: ENOSPC (or EIO) raised at one of `WRITE_STEPS`
  in-process, and, when a private tmpfs can be mounted (`unshare -m`, as root), a real tmpfs of 5
  sizes too small for the new generation, then grown.

then runs `qa index status`, `qa ask` and `qa index build` (the CLI's `main` with the fake
encoder, in one child process per fault). A fault is survived when every command exits 0 or with
one `error:` line and no traceback, and afterwards the live index verifies (every file against its
checksum), answers, and no other generation is left; for a full disk also when the failed build
left the previous index live and no half-written folder, and a retry did not add one. Corruptions
also count `detected`: `qa index status` exited with an error. Prints survived/total per group.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

from eval.fault_cases import CORRUPTIONS, STALLS, WRITE_STEPS, failing_writes, stall_at

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "documents"
QUESTION = "What is green mining?"
CHILD_TIMEOUT = 300
EXIT_USER_ERROR = 2
TMPFS_FRACTIONS = (0.1, 0.3, 0.5, 0.7, 0.9)  # of the new generation's size that fits
ADDED = {
    "nickel.txt": "Nickel Laterites\n\n" + "Nickel laterite mining in Indonesia feeds battery supply chains. " * 40,
    "closure.txt": "Mine Closure\n\n" + "Closure plans need funding set aside before a mine opens. " * 40,
}


# --- running the CLI in-process -----------------------------------------------------------------


def _use_fake_encoder(encoder=None) -> None:
    """What `qa` builds and asks with: the fake encoder (as tests/test_cli_index.py hands it)."""
    import index.embedder
    from tests.fakes import FakeEncoder

    for name in ("QA_ENCODER", "QA_LLM_BASE_URL", "QA_LLM_MODEL"):
        os.environ.pop(name, None)
    index.embedder.Embedder = lambda *a, **k: encoder or FakeEncoder()


def run(*argv: str) -> dict:
    """One `qa` command: its exit code, its stderr, and whether it ended in a traceback."""
    from qa.cli import main

    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(argv))
        crashed = False
    except SystemExit as exc:
        code, crashed = exc.code if isinstance(exc.code, int) else 1, False
    except BaseException:  # what the CLI would print as a traceback
        code, crashed = 1, True
        err.write(traceback.format_exc())
    lines = [line for line in err.getvalue().splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error: ")]
    # a success may say more (notes, a numpy warning over damaged vectors); a failure says one line
    clean = not crashed and (code == 0 or (code == EXIT_USER_ERROR and len(errors) == 1 and len(lines) == len(errors)
                                           + sum(line.startswith(("warning: ", "note: ")) for line in lines)))
    return {"command": " ".join(argv[:2]), "code": code, "clean": clean, "stderr": err.getvalue()[-600:]}


def commands(index: Path, corpus: Path) -> list[dict]:
    return [run("index", "status", "--index", str(index)), run("ask", QUESTION, "--index", str(index)),
            run("index", "build", "--corpus", str(corpus), "--index", str(index))]


def health(index: Path, documents: int | None = None) -> str | None:
    """None when the live index verifies, answers and stands alone; else what is wrong."""
    from index.errors import IndexError_
    from index.verify import verify_index

    try:
        verification = verify_index(index)
    except IndexError_ as exc:
        return f"the live index does not verify: {exc}"
    gens = sorted(p.name for p in index.glob("gen-*"))
    if not verification.checksums or len(gens) != 1 or list(index.glob("CURRENT.*.tmp")):
        return f"left over: {gens} {[p.name for p in index.glob('CURRENT.*.tmp')]}"
    from index.manifest import Manifest

    if documents is not None and Manifest.read(verification.folder).counts["documents"] != documents:
        return "the repair build did not index the corpus"
    asked = run("ask", QUESTION, "--index", str(index))
    return None if asked["code"] == 0 else f"ask fails: {asked['stderr']}"


# --- the faults, each in a child process --------------------------------------------------------


def child(group: str, name: str, work: Path) -> dict:
    _use_fake_encoder()
    place = work / f"{group}-{name}"
    shutil.rmtree(place, ignore_errors=True)
    place.mkdir(parents=True)
    if group == "disk" and name.startswith("tmpfs-"):
        return _tmpfs(name, place, work)
    index = place / "index"
    shutil.copytree(work / "pristine", index)  # copy2: the files' times too, as the build left them
    if group == "corrupt":
        from index.generations import current_generation

        CORRUPTIONS[name](current_generation(index), index)
        ran = commands(index, work / "corpus")
        return _result(ran, health(index, _documents(work / "pristine")), detected=ran[0]["code"] != 0)
    if group == "kill":
        return _kill(name, index, work)
    return _disk(name, index, work)


def _documents(index: Path) -> int:
    from index.store import read_manifest

    return read_manifest(index).counts["documents"]


def _result(ran: list[dict], problem: str | None, **extra) -> dict:
    unclean = [r for r in ran if not r["clean"]]
    survived = not unclean and problem is None
    return {"survived": survived, **extra, "problem": problem or (unclean[0] if unclean else None)}


def _kill(phase: str, index: Path, work: Path) -> dict:
    started = index.parent / "started"
    corpus = work / "corpus-changed"
    proc = subprocess.Popen([sys.executable, "-m", "eval.faults", "--stall", phase, str(corpus), str(index), str(started)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + CHILD_TIMEOUT / 2
    while not started.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    if not started.exists():
        proc.kill()
        return {"survived": False, "problem": f"the build never reached {phase}: {proc.communicate()[1].decode()[-600:]}"}
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    live = _live_problem(index)  # the last good index (old, or new after the swap) is live
    ran = commands(index, corpus)
    return _result(ran, live or health(index, _documents(work / "changed")))


def _live_problem(index: Path) -> str | None:
    from index.errors import IndexError_
    from index.verify import verify_index

    try:
        verify_index(index)
        return None
    except IndexError_ as exc:
        return f"the live index does not verify: {exc}"


def _disk(step: str, index: Path, work: Path) -> dict:
    return _full_disk(index, work, step, failing_writes(step))


def _tmpfs(name: str, place: Path, work: Path) -> dict:
    """A real full disk: the index on a tmpfs with room for a fraction of the new generation."""
    fraction = float(name.split("-", 1)[1])
    mount = place / "mnt"
    mount.mkdir()
    need = json.loads((work / "sizes.json").read_text())
    size_kb = (need["pristine"] + int(fraction * need["changed"])) // 1024 + 8  # and CURRENT's, the lock's pages
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(mount)], capture_output=True)
    if mounted.returncode != 0:
        return {"skipped": f"cannot mount a tmpfs: {mounted.stderr.decode().strip()}"}
    try:
        shutil.copytree(work / "pristine", mount / "index")
        return _full_disk(mount / "index", work, "tmpfs", _grown_after(mount))
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


@contextlib.contextmanager
def _grown_after(mount: Path):
    try:
        yield
    finally:  # space freed
        subprocess.run(["mount", "-o", "remount,size=256m", str(mount)], check=True)


def _full_disk(index: Path, work: Path, step: str, full) -> dict:
    """A build meeting a full disk (while `full` is entered), its retry, then a build with space."""
    from index.generations import current_generation

    before = current_generation(index).name
    build = ("index", "build", "--corpus", str(work / "corpus-changed"), "--index", str(index))
    with full:
        first = run(*build)
        left = _leftovers(index, before, step)
        retry = run(*build)
        left = left or _leftovers(index, before, step)
    failed = [r for r in (first, retry) if r["code"] != EXIT_USER_ERROR or "while writing" not in r["stderr"]]
    problem = left or (f"the build did not fail as it should: {failed[0]}" if failed else None)
    final = run(*build)
    return _result([first, retry, final], problem or health(index, _documents(work / "changed")), error=first["stderr"].strip()[:300])


def _leftovers(index: Path, live: str, step: str) -> str | None:
    """What a failed build should not leave: another live index, or a half-written folder."""
    from index.generations import current_generation

    problem = _live_problem(index)
    if problem is None and current_generation(index).name != live:
        problem = "a new generation became live"
    others = [p for p in index.glob("gen-*") if p.name != live]
    if problem is None and len(others) > (step == "swap"):  # a complete, never-live one, removed by the next build
        problem = f"left {len(others)} other generation folders"
    return problem


def stall_build(phase: str, corpus: Path, index: Path, started: Path) -> int:
    """`qa index build` stopping for good at `phase` (touching `started`), to be killed there."""
    _use_fake_encoder(stall_at(phase, started))
    return run("index", "build", "--corpus", str(corpus), "--index", str(index))["code"]


# --- the parent ---------------------------------------------------------------------------------


def prepare(work: Path) -> None:
    """The corpora and the pristine index every fault starts from."""
    from index.build import build_index
    from index.manifest import IndexConfig
    from tests.fakes import FakeEncoder

    for name, extra in (("corpus", {}), ("corpus-changed", ADDED)):
        shutil.rmtree(work / name, ignore_errors=True)
        shutil.copytree(SEED, work / name)
        for file, text in extra.items():
            (work / name / file).write_text(text)
    from index.generations import current_generation

    config = IndexConfig(model=FakeEncoder.info)
    for name in ("pristine", "changed"):
        shutil.rmtree(work / name, ignore_errors=True)
    build_index(work / "corpus", work / "pristine", FakeEncoder(), config)
    shutil.copytree(work / "pristine", work / "changed")
    shared = {p.stat().st_ino for p in current_generation(work / "changed").rglob("*") if p.is_file()}
    build_index(work / "corpus-changed", work / "changed", FakeEncoder(), config)  # as the faults' build makes it
    blocks = lambda files: sum(-(-p.stat().st_size // 4096) * 4096 for p in files if p.is_file())  # noqa: E731
    sizes = {  # the new generation's own bytes: the vector files it links from the pristine one take no room
        "pristine": blocks((work / "pristine").rglob("*")),
        "changed": blocks(p for p in current_generation(work / "changed").rglob("*") if p.is_file() and p.stat().st_ino not in shared),
    }
    (work / "sizes.json").write_text(json.dumps(sizes))


def _tmpfs_available() -> bool:
    if not shutil.which("unshare") or not shutil.which("mount"):
        return False
    probe = tempfile.mkdtemp()
    try:
        return subprocess.run(["unshare", "-m", "--propagation", "private", "mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", probe],
                              capture_output=True).returncode == 0
    finally:
        os.rmdir(probe)


def scenarios(group: str | None) -> list[tuple[str, str]]:
    disk = list(WRITE_STEPS) + ([f"tmpfs-{f}" for f in TMPFS_FRACTIONS] if _tmpfs_available() else [])
    every = [("kill", s) for s in STALLS] + [("corrupt", c) for c in CORRUPTIONS] + [("disk", d) for d in disk]
    return [s for s in every if group in (None, s[0])]


def run_scenario(group: str, name: str, work: Path) -> dict:
    argv = [sys.executable, "-m", "eval.faults", "--child", group, name, "--work", str(work)]
    if name.startswith("tmpfs-"):
        argv = ["unshare", "-m", "--propagation", "private", *argv]
    try:
        done = subprocess.run(argv, cwd=ROOT, capture_output=True, timeout=CHILD_TIMEOUT)
    except subprocess.TimeoutExpired:
        return {"survived": False, "problem": "timed out"}
    lines = done.stdout.decode().strip().splitlines()
    if done.returncode != 0 or not lines:
        return {"survived": False, "problem": f"the child exited with {done.returncode}: {done.stderr.decode()[-600:]}"}
    return json.loads(lines[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.faults", description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temporary one, removed)")
    parser.add_argument("--group", choices=("kill", "corrupt", "disk"), default=None)
    parser.add_argument("--child", nargs=2, metavar=("GROUP", "NAME"), help=argparse.SUPPRESS)
    parser.add_argument("--stall", nargs=4, metavar=("PHASE", "CORPUS", "INDEX", "STARTED"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stall:
        phase, corpus, index, started = args.stall
        return stall_build(phase, Path(corpus), Path(index), Path(started))
    if args.child:
        print(json.dumps(child(*args.child, args.work)))
        return 0
    work = args.work or Path(tempfile.mkdtemp(prefix="qa-faults-"))
    started = time.perf_counter()
    try:
        prepare(work)
        results: dict[str, dict] = {}
        for group, name in scenarios(args.group):
            result = run_scenario(group, name, work)
            results.setdefault(group, {})[name] = result
            if not args.json:
                mark = "skipped" if "skipped" in result else "ok" if result["survived"] else "FAILED"
                print(f"  {group:8} {name:32} {mark}{'' if mark == 'ok' else ': ' + str(result.get('problem') or result.get('skipped'))[:300]}",
                      file=sys.stderr, flush=True)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    summary = {"seconds": round(time.perf_counter() - started, 1)}
    for group, found in results.items():
        ran = {k: v for k, v in found.items() if "skipped" not in v}
        summary[group] = {"survived": sum(v["survived"] for v in ran.values()), "total": len(ran),
                          "failed": sorted(k for k, v in ran.items() if not v["survived"])}
        if group == "corrupt":
            summary[group]["detected"] = sum(bool(v.get("detected")) for v in ran.values())
        if group == "disk":
            summary[group]["tmpfs"] = sum(k.startswith("tmpfs-") for k in ran)
    if args.json:
        print(json.dumps(summary))
    else:
        for group in ("kill", "corrupt", "disk"):
            if group in summary:
                s = summary[group]
                extra = f", detected by `qa index status`: {s['detected']}/{s['total']}" if group == "corrupt" else ""
                extra += f" ({s['total'] - s['tmpfs']} simulated in-process, {s['tmpfs']} on a real full tmpfs)" if group == "disk" else ""
                print(f"{group:8} survived {s['survived']}/{s['total']}{extra}")
        print(f"in {summary['seconds']} s")
    return 0 if all(summary[g]["survived"] == summary[g]["total"] for g in results) else 1


if __name__ == "__main__":
    sys.exit(main())
