"""The generation folders of an index and the one-line `CURRENT` file naming the live one.

A build writes a new `gen-*` folder beside the live one, flushes it, then swaps `CURRENT` with an
atomic rename (`swap_current`); the folders other than the live one are left by finished, failed
or killed builds and removed by the next build (`remove_stale_generations`). A `CURRENT` holding
anything but the name of an existing generation is damage, named in one line (`current_generation`).
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from pathlib import Path

from index.errors import IndexCorrupt, IndexError_, IndexNotFound

CURRENT = "CURRENT"
GENERATION_NAME = re.compile(r"gen-[0-9A-Za-z-]{1,80}")  # how `write_generation` names a generation's folder
SHOWN_BYTES = 40  # of a damaged CURRENT, in the error


def current_generation(index_dir: Path) -> Path:
    """The live generation's folder, as `CURRENT` names it; IndexCorrupt when it names none."""
    pointer = index_dir / CURRENT
    fix = f"run `qa index build --index {index_dir}` to replace the damaged index"
    try:
        raw = pointer.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        raise IndexNotFound(f"no index in {index_dir}; build one with `qa index build --index {index_dir}`") from None
    except OSError as exc:
        raise IndexCorrupt(f"{pointer} cannot be read ({exc.strerror}); {fix}") from None
    name = raw.decode("ascii", "replace").strip()
    if not GENERATION_NAME.fullmatch(name):
        raise IndexCorrupt(f"{pointer} is damaged (it holds {raw[:SHOWN_BYTES]!r}, not a generation's name); {fix}")
    if not (index_dir / name).is_dir():
        raise IndexCorrupt(f"{pointer} names a missing generation {name!r}; {fix}")
    return index_dir / name


def is_live(index_dir: Path) -> bool:
    """Whether `CURRENT` names an existing generation."""
    try:
        return current_generation(index_dir).is_dir()
    except IndexError_:
        return False


def remove_stale_generations(index_dir: Path) -> None:
    """Delete generations other than the live one, and unswapped `CURRENT` files (left by finished,
    failed or killed builds). While `CURRENT` is damaged no generation is deleted: which one was
    live is unknown until a build makes a new one live."""
    try:
        live = current_generation(index_dir).name
    except IndexNotFound:
        live = None
    except IndexCorrupt:
        live = ""
    for child in index_dir.glob("gen-*") if live != "" else ():
        if child.is_dir() and child.name != live:
            shutil.rmtree(child, ignore_errors=True)
    for tmp in index_dir.glob(f"{CURRENT}.*.tmp"):
        tmp.unlink(missing_ok=True)


def failed_file(folder: Path, exc: BaseException) -> str:
    """The file of `folder` a failed write was writing: the one `exc` names (a copy's target is
    its `filename2`), else the last one changed."""
    for named in (getattr(exc, "filename2", None), getattr(exc, "filename", None)):
        if isinstance(named, (str, os.PathLike)) and Path(named).is_relative_to(folder):
            return Path(named).relative_to(folder).as_posix()
    try:
        files = [(p.stat().st_mtime_ns, p.relative_to(folder).as_posix()) for p in folder.rglob("*") if p.is_file()]
    except OSError:
        files = []
    return max(files)[1] if files else f"the new generation {folder.name}"


def swap_current(index_dir: Path, name: str) -> None:
    """Make the generation `name` live: write `CURRENT` beside itself, flush it, rename it over."""
    tmp = index_dir / f"{CURRENT}.{uuid.uuid4().hex[:8]}.tmp"
    with open(tmp, "w") as out:
        out.write(name + "\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, index_dir / CURRENT)
    fsync_dir(index_dir)


def fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    for path in [folder, *[p for p in folder.rglob("*") if p.is_dir()]]:
        fsync_dir(path)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
