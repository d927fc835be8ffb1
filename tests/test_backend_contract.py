"""The storage contract (qa/index/backends/protocol.py): what every backend must do alike.

Each test runs against every backend in BACKENDS over the same small two-document index (fake
embedders): FAISS + bm25s files, and Milvus embedded (milvus-lite, the engine a Milvus cluster
runs behind the same client) holding the same chunks and vectors.
"""

from __future__ import annotations

import numpy as np
import pytest

from qa.index.backends.faiss_files import FaissFilesBackend
from qa.index.backends.milvus import MilvusBackend
from qa.index.backends.protocol import SearchBackend
from qa.index.filters import Filters
from qa.pipeline import Pipeline

BACKENDS = ["faiss_files", "milvus_lite"]


@pytest.fixture(scope="module")
def milvus(tiny_pipeline: Pipeline, tmp_path_factory: pytest.TempPathFactory) -> MilvusBackend:
    store = tiny_pipeline.store
    return MilvusBackend.create(
        str(tmp_path_factory.mktemp("milvus") / "index.db"),
        "chunks",
        store.chunks,
        {"dense": vectors(tiny_pipeline, "dense"), "dense2": vectors(tiny_pipeline, "dense2")},
        store.bm25.all_terms,
    )


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tiny_pipeline: Pipeline) -> SearchBackend:
    if request.param == "faiss_files":
        return FaissFilesBackend(tiny_pipeline.store)
    return request.getfixturevalue("milvus")


def vectors(pipeline: Pipeline, field: str) -> np.ndarray:
    index = pipeline.store.faiss if field == "dense" else pipeline.store.second
    return index.reconstruct_n(0, index.ntotal)


def rows_of(pipeline: Pipeline, doc_id: str) -> set[int]:
    return {row for row, c in enumerate(pipeline.store.chunks) if c.doc_id == doc_id}


@pytest.mark.parametrize("field", ["dense", "dense2"])
def test_dense_search_returns_the_k_nearest_rows_by_cosine_best_first(
    backend, tiny_pipeline: Pipeline, field: str
) -> None:
    assert field in backend.fields()
    matrix = vectors(tiny_pipeline, field)
    query = matrix[3] + 0.5 * matrix[0]
    query = (query / np.linalg.norm(query)).astype(np.float32)
    expected = np.argsort(-(matrix @ query), kind="stable")[:4]

    found = backend.dense_search(field, query, 4)

    assert list(found) == [int(i) for i in expected]
    assert list(found.values()) == pytest.approx([float(matrix[i] @ query) for i in expected])


def test_lexical_search_ranks_by_bm25_and_keeps_only_matching_rows(
    backend, tiny_pipeline: Pipeline
) -> None:
    found = backend.lexical_search("Tacoma Narrows wind tunnels", 10)

    scores = list(found.values())
    assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)
    assert "Tacoma" in tiny_pipeline.store.chunks[next(iter(found))].text
    assert backend.lexical_search("zebra xylophone", 10) == {}


def test_no_filters_select_everything_and_filters_select_what_they_name(
    backend, tiny_pipeline: Pipeline
) -> None:
    bridges = rows_of(tiny_pipeline, "bridges.txt")
    only_bridges = backend.select(Filters(doc_ids=("bridges.txt",)))
    query = vectors(tiny_pipeline, "dense")[min(rows_of(tiny_pipeline, "ponds.txt"))]

    assert backend.select(Filters()) is None
    assert not only_bridges.empty
    assert set(backend.dense_search("dense", query, 50, only_bridges)) == bridges
    assert set(backend.lexical_search("water wind cables", 50, only_bridges)) <= bridges
    assert backend.lexical_search("pond water plants", 50, only_bridges) == {}


def test_author_and_date_filters(backend, tiny_pipeline: Pipeline) -> None:
    by_girder = backend.select(Filters(authors=("girder",)))
    query = vectors(tiny_pipeline, "dense")[0]

    assert set(backend.dense_search("dense", query, 50, by_girder)) == rows_of(
        tiny_pipeline, "bridges.txt"
    )
    # Undated documents are out when a date range is asked for.
    assert backend.select(Filters(date_from="2000")).empty


def test_a_filter_nothing_passes_selects_nothing(backend) -> None:
    assert backend.select(Filters(doc_ids=("no-such-document.txt",))).empty


def test_both_backends_rank_alike(tiny_pipeline: Pipeline, milvus: MilvusBackend) -> None:
    """Same rows, same order, same scores: cosine for dense, BM25 as bm25s computes it."""
    files = FaissFilesBackend(tiny_pipeline.store)
    query = vectors(tiny_pipeline, "dense2")[2]
    question = "How do engineers keep a long deck steady in the wind?"

    assert list(milvus.dense_search("dense2", query, 10)) == list(
        files.dense_search("dense2", query, 10)
    )
    lexical, expected = milvus.lexical_search(question, 10), files.lexical_search(question, 10)
    assert list(lexical) == list(expected)
    assert list(lexical.values()) == pytest.approx(list(expected.values()), rel=1e-4)


def test_filter_values_are_quoted_not_parsed(backend) -> None:
    """A name with quotes, wildcards or backslashes is matched literally, never as syntax."""
    for name in ('Girder" or doc_id != "', "%", "_", "\\", "O'Brien"):
        assert backend.select(Filters(authors=(name,))).empty
