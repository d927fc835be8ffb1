"""Whatever the parser produces (readers' text, sections, chunks and their search text) is pinned
to PARSER_VERSION.

Indexes record the parser version in their corpus fingerprint, and builds lend each other the
readers' output by it: a change in what is produced without a new version would leave indexes
"up to date" with text that no longer matches a fresh read (citations off by the difference).
When this test fails after an intended change: bump PARSER_VERSION in qa/index/manifest.py and
set DIGEST below to the printed value.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from qa.corpus.chunking import chunk_document
from qa.corpus.ingest import read_corpus
from qa.index.manifest import PARSER_VERSION, chunking_settings
from qa.settings import REPO_ROOT, Settings

PINNED_VERSION = 5
DIGEST = "71baeb3c3a2cf2fd6d2dbfedc50b74deb88e3123b1d219d10f60bb73784588be"
FOLDERS = (REPO_ROOT / "corpus", REPO_ROOT / "eval" / "library" / "corpus")


def parser_output_digest() -> str:
    settings = chunking_settings(Settings())
    digest = hashlib.sha256()
    for folder in FOLDERS:
        read, _ = read_corpus(folder)
        for document, text in read:
            chunks = chunk_document(document, text, settings)
            record = {
                "doc": document.doc_id,
                "title": document.title,
                "authors": document.authors,
                "date": document.date,
                "text": hashlib.sha256(text.encode()).hexdigest(),
                "pages": document.page_starts,
                "sections": [(s.path, s.start, s.end) for s in document.sections],
                # the kind too: retrieval weighs chunks by it (a bio, a bibliography entry);
                # and what is embedded, which the build's fingerprint does not see
                "chunks": [(c.spans, c.section_path, c.kind) for c in chunks],
                "search": hashlib.sha256(
                    "\n".join(c.search_text for c in chunks).encode()
                ).hexdigest(),
                "lexical": hashlib.sha256(
                    "\n".join(c.lexical_text for c in chunks).encode()
                ).hexdigest(),
            }
            digest.update(json.dumps(record, sort_keys=True, default=list).encode())
    return digest.hexdigest()


def test_parser_output_is_what_this_parser_version_produced() -> None:
    actual = parser_output_digest()
    assert (PARSER_VERSION, actual) == (PINNED_VERSION, DIGEST), (
        f"the parser's output is now {actual}: if that is intended, bump PARSER_VERSION "
        f"(now {PARSER_VERSION}) and set PINNED_VERSION and DIGEST in {Path(__file__).name}"
    )
