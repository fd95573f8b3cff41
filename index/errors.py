"""Domain errors raised by the index: the CLI and UI turn them into messages."""


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


class BuildFailed(IndexError_):
    """The build could not produce an index (for example: no readable documents)."""


class BuildLocked(IndexError_):
    """Another build holds the index folder."""


class UnknownEncoder(IndexError_, ValueError):
    """QA_ENCODER (or an encoder name) names no encoder."""


class EncoderUnavailable(IndexError_):
    """The chosen encoder cannot run here (a missing package, an unwritable or failed ONNX export)."""
