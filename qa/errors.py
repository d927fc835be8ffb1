"""One error tree. Every message says what to do next; CLI and API each map these in one place."""


class QAError(Exception):
    """Base of all errors qa raises on purpose."""


class CorpusError(QAError):
    """The corpus directory is missing or holds nothing indexable."""


class UnreadableDocument(QAError):
    """A file that cannot be ingested (empty, binary, not UTF-8, too big). Reported and skipped."""


class IndexMissing(QAError):
    """No index has been built yet."""


class IndexMismatch(QAError):
    """The index on disk was built with other settings, another model, or an older corpus."""


class IndexCorrupt(QAError):
    """An index file is missing, truncated or altered since it was written; `qa build` repairs."""


class UnsafeIndexPath(QAError):
    """The index location is not one qa may write: it holds other files, or overlaps the corpus.
    Nothing was touched."""


class BuildRunning(QAError):
    """Another `qa build` of the same index holds its lock."""


class UnknownDocument(QAError):
    """A document id that is not in the index."""


class InvalidRange(QAError):
    """A text range outside a document's text, or longer than one request may ask for."""


class InvalidQuestion(QAError):
    """An empty or over-long question, or k out of range."""


class ServerBusy(QAError):
    """Too many questions are already waiting; the client should retry later."""

    def __init__(self, message: str, retry_after_s: int = 1) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class ClientGone(QAError):
    """The client disconnected while its question waited; the question was not computed."""


class Unauthorized(QAError):
    """The server requires an API key and the request did not carry the right one."""


class RequestTooLarge(QAError):
    """A request body over the configured limit."""


class ServerUnreachable(QAError):
    """No server answers at the URL: none is running there, or the URL is wrong (or not one)."""


class RejectedQuestion(QAError):
    """The server refused the question itself (a 422 or 413): empty, too long, nothing visible.
    Another question may be answered."""


class RejectedRequest(QAError):
    """The server refused the request for something every question would share (a 4xx): a -k or
    --mode it does not take, or a path it does not serve (not a qa server)."""


class ServerFailed(QAError):
    """The server answered with a 5xx, too late, or with something that is not a qa answer."""


class InvalidUpload(QAError):
    """A file to add that is badly named, or that cannot be read. Nothing was changed."""


class UnsupportedType(QAError):
    """A file to add of a type qa does not read. Nothing was changed."""


class DuplicateDocument(QAError):
    """A file to add whose name or content is already in the corpus. Nothing was changed."""


class LastDocument(QAError):
    """Removing these documents would leave the corpus empty. Nothing was changed."""


class WritesForbidden(QAError):
    """Adding or removing documents through a server reachable beyond this machine without an
    API key."""
