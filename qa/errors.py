"""One error tree. Every message says what to do next; CLI and API each map these in one place."""


class QAError(Exception):
    """Base of all errors qa raises on purpose."""


class CorpusError(QAError):
    """The corpus directory is missing or holds nothing indexable."""


class UnreadableDocument(QAError):
    """A file that cannot be ingested (empty, binary, not UTF-8). Reported and skipped."""


class IndexMissing(QAError):
    """No index has been built yet."""


class IndexMismatch(QAError):
    """The index on disk was built with other settings, another model, or an older corpus."""


class UnknownDocument(QAError):
    """A document id that is not in the index."""


class InvalidQuestion(QAError):
    """An empty or over-long question, or k out of range."""
