"""Domain errors raised while reading a corpus."""


class CorpusError(Exception):
    """Base class for corpus problems a user can fix."""


class CorpusNotFound(CorpusError):
    """The corpus folder is missing or holds no documents."""


class UnreadableDocument(CorpusError):
    """One file could not be turned into text; the build skips it."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason
