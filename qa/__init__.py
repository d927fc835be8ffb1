"""qa: ask a question, get back the source passages that answer it, with exact citations."""

__version__ = "0.1.0"
