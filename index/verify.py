"""Checking a generation's files: what opening checks, and each file against its checksum.

Opening an index (`index.store.open_generation`) checks the files' names and sizes, the arrays'
dtypes and shapes and the counts they hold against the manifest's: cheap, so done on every open.
The manifest also records each file's checksum (xxh3_128) and modification time (since checksums were added;
older manifests have none), and two checks read them:

- `verify_index`, for `qa index status`: every file hashed (so it reads the whole index; the
  hash runs at 7 GB/s here, reading the files from disk is the cost), then everything opening checks;
- `check_checksums(quick=True)`, for a build about to reuse the live index: only the files whose
  size or modification time differ from the build's are hashed, so an untouched index costs a
  `stat` per file; unless the manifest itself changed since (it carries its own checksum,
  `index.manifest.manifest_unchanged`), when its times are not trusted and every file is hashed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from index.errors import IndexCorrupt
from index.generations import current_generation
from index.manifest import DIGEST, Manifest, file_checksum, manifest_unchanged
from index.store import open_generation


@dataclass(frozen=True)
class Verification:
    """What `verify_index` checked of the live generation `folder`."""

    folder: Path
    files: int
    size: int  # bytes in those files
    checksums: bool  # False: its manifest records none (built before checksums), so sizes, shapes and counts only
    seconds: float
    manifest_edited: bool = False  # the manifest differs from what its build wrote (yet reads, and its files match)

    def describe(self) -> str:
        what = f"{self.files} files ({self.size / 1e6:.1f} MB): names, sizes, shapes and counts"
        if not self.checksums:
            return f"{what}; no checksums recorded (an index from before them: `qa index build --force` adds them)"
        edited = "; manifest.json was edited since the build" if self.manifest_edited else ""
        return f"{what}, and every byte against its {DIGEST} ({self.seconds:.2f} s: status reads the whole index){edited}"


def damage_hint(index_dir: Path) -> str:
    return f"run `qa index build --index {index_dir}` to replace the damaged index"


def verify_index(index_dir: Path) -> Verification:
    """Check the live generation as opening it does, then every file against its checksum;
    IndexCorrupt naming the first damage found."""
    folder = current_generation(index_dir)
    return verify_generation(folder, Manifest.read(folder), damage_hint(index_dir))


def verify_generation(folder: Path, manifest: Manifest, hint: str) -> Verification:
    """`verify_index` of one generation whose manifest has been read; `hint` ends every damage message."""
    started = time.perf_counter()
    check_checksums(folder, manifest, hint)  # first: it names the damaged file
    open_generation(folder, manifest, hint).close()
    size, edited = sum(manifest.artifacts.values()), manifest_unchanged(folder) is False
    return Verification(folder, len(manifest.artifacts), size, bool(manifest.checksums), time.perf_counter() - started, edited)


def check_checksums(folder: Path, manifest: Manifest, hint: str, quick: bool = False) -> int:
    """Compare the files of `folder` with the checksums its manifest records (none: nothing to
    compare); `quick`: only those whose size or modification time changed since the build, unless
    the manifest itself changed since (then its stamps are not trusted: every file is hashed).
    Returns how many files were hashed; IndexCorrupt naming the first that differs."""
    if not manifest.checksums:
        return 0
    quick = quick and manifest_unchanged(folder) is True
    if set(manifest.checksums) != set(manifest.artifacts):
        odd = sorted(set(manifest.checksums) ^ set(manifest.artifacts))[0]
        raise IndexCorrupt(f"index at {folder} is damaged (its manifest lists {odd} with a size or a checksum, not both); {hint}")
    hashed = 0
    for name, recorded in sorted(manifest.checksums.items()):
        path = folder / name
        try:
            stat = path.stat()
            if stat.st_size != manifest.artifacts[name]:
                raise IndexCorrupt(f"index at {folder} is damaged ({name} is {stat.st_size} bytes, not {manifest.artifacts[name]}); {hint}")
            if quick and stat.st_mtime_ns == recorded.mtime_ns:
                continue
            found = file_checksum(path).digest
        except FileNotFoundError as exc:
            raise IndexCorrupt(f"index at {folder} is damaged ({name} is missing); {hint}") from exc
        except OSError as exc:
            raise IndexCorrupt(f"index at {folder} is damaged ({name} cannot be read: {exc.strerror}); {hint}") from exc
        hashed += 1
        if found != recorded.digest:
            raise IndexCorrupt(f"index at {folder} is damaged ({name} does not match its {DIGEST} checksum); {hint}")
    return hashed
