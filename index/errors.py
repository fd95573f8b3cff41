"""Domain errors raised by the index: the CLI and UI turn them into messages."""

import errno as _errno
import os
import re
import sqlite3

SQLITE_FULL = 13  # "database or disk is full"


class IndexError_(Exception):
    """Base class for index problems a user can fix."""


class IndexNotFound(IndexError_):
    """No built index in the folder."""


class IndexCorrupt(IndexError_):
    """The index folder exists but its files cannot be read."""


class IndexMismatch(IndexError_):
    """The index was built with another model, encoder, chunker, lexical settings or format version."""

    def __init__(self, reason: str, where: object):
        # a plain build re-embeds what the change needs (everything, or only the lexical index)
        super().__init__(f"{reason}; rebuild it with `qa index build --index {where}`")
        self.reason = reason


class IndexWriteFailed(IndexError_, OSError):
    """Writing a new generation failed (a full disk, an I/O error); the previous one is still live.

    An OSError too, with the failure's `errno`, so callers that handle OS errors still see one."""

    def __init__(self, message: str, errno: int | None = None):
        super().__init__(message)
        self.errno = errno

    @classmethod
    def during(cls, exc: Exception, file: str, index_dir: object, state: str) -> "IndexWriteFailed | None":
        """The failure `exc` (an OSError, SQLite's or FAISS's write error) while writing `file`,
        `state` saying which index is live (PREVIOUS_LIVE, NONE_LIVE, UNFLUSHED), or None when `exc`
        is no write failure (a bug, which keeps its traceback)."""
        code, reason = _write_error(exc)
        if reason is None:
            return None
        action = "free space" if code in OUT_OF_SPACE else "fix the cause" if code else "free space or fix the cause"
        return cls(f"{reason} while writing {file} in {index_dir}; {state}; {action} and run "
                   f"`qa index build --index {index_dir}` again", code)


PREVIOUS_LIVE = "the previous index is still live"
NONE_LIVE = "no index was made live"
UNFLUSHED = "the new index is live, but CURRENT may not be on disk yet"
OUT_OF_SPACE = (_errno.ENOSPC, _errno.EDQUOT, _errno.EFBIG)
_BY_MESSAGE = {os.strerror(code): code for code in _errno.errorcode}


def _write_error(exc: Exception) -> tuple[int | None, str | None]:
    """(errno, what went wrong) of a failed write; (None, None) for anything else."""
    if isinstance(exc, OSError):
        return exc.errno, os.strerror(exc.errno) if exc.errno else f"a short write, the disk may be full ({exc})"
    if isinstance(exc, sqlite3.Error):
        full = getattr(exc, "sqlite_errorcode", None) == SQLITE_FULL
        return (_errno.ENOSPC, os.strerror(_errno.ENOSPC)) if full else (None, f"SQLite failed ({exc})")
    if isinstance(exc, RuntimeError) and "write error" in str(exc):  # FAISS: "... write error in PATH: n != m (strerror)"
        found = re.search(r"\(([^()]*)\)\s*$", str(exc))
        message = found.group(1) if found else "a write error"
        return _BY_MESSAGE.get(message), message
    return None, None


class BuildFailed(IndexError_):
    """The build could not produce an index (for example: no readable documents)."""


class BuildLocked(IndexError_):
    """Another build holds the index folder."""


class UnknownEncoder(IndexError_, ValueError):
    """QA_ENCODER (or an encoder name) names no encoder."""


class EncoderUnavailable(IndexError_):
    """The chosen encoder cannot run here (a missing package, an unwritable or failed ONNX export)."""
