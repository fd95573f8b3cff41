"""Helper for tests/test_crash.py: a build that stalls at a chosen phase so the test can SIGKILL it.

    python tests/crash_build.py CORPUS INDEX STARTED_FILE {encode,records,write}

`encode`: the encoder touches STARTED_FILE and sleeps inside `encode` (nothing written yet).
`records`: the build stalls inside the transaction that writes the new generation's records,
after copying the previous records file and deleting the changed documents' rows from the copy.
`write`: the build stalls inside `write_generation`, after the chunk records and vectors of
the new generation are on disk but before its lexical index and manifest (half-written).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from corpus.chunking import ChunkerSettings  # noqa: E402
from index.manifest import IndexConfig  # noqa: E402
from tests.fakes import FAKE_INFO, FakeEncoder  # noqa: E402

CONFIG = IndexConfig(model=FAKE_INFO, chunker=ChunkerSettings(chunk_tokens=48, overlap_tokens=8))
STALL_SECONDS = 30


def stall(started: Path) -> None:
    started.write_text("started\n")
    time.sleep(STALL_SECONDS)


class SleepyEncoder(FakeEncoder):
    def __init__(self, started: Path) -> None:
        super().__init__()
        self.started = started

    def encode(self, texts, progress=False):
        stall(self.started)
        return super().encode(texts, progress)


def main(argv: list[str]) -> int:
    corpus, index, started, mode = Path(argv[0]), Path(argv[1]), Path(argv[2]), argv[3]
    from index.build import build_index

    encoder = FakeEncoder()
    if mode == "encode":
        encoder = SleepyEncoder(started)
    elif mode == "write":
        from index.lexical import LexicalIndex

        def save(self, folder: Path) -> None:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "partial").write_text("half")
            stall(started)

        LexicalIndex.save = save
    elif mode == "records":
        import index.records as records

        row = records._chunk_row

        def stalling_row(chunk):
            stall(started)
            return row(chunk)

        records._chunk_row = stalling_row
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    build_index(corpus, index, encoder, CONFIG)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
