"""The storage contract (qa/index/backends/protocol.py): what every backend must do alike.

Each test runs against every backend in BACKENDS over the same small two-document index (fake
embedders): FAISS + bm25s files, and Milvus embedded (milvus-lite, the engine a Milvus cluster
runs behind the same client) holding the same chunks and vectors.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.index.backends.faiss_files import FaissFilesBackend
from qa.index.backends.milvus import MilvusBackend
from qa.index.backends.protocol import SearchBackend, Source, SourceInfo, TextRange
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
        sources_of(tiny_pipeline),
    )


def sources_of(pipeline: Pipeline) -> list[Source]:
    store = pipeline.store
    return [Source(d, store.sources[d][:], store.page_starts.get(d, ())) for d in store.sources]


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


def test_count_and_chunk_records_by_row(backend, tiny_pipeline: Pipeline) -> None:
    chunks = tiny_pipeline.store.chunks
    last = len(chunks) - 1

    assert backend.count() == len(chunks)
    assert backend.chunks([last, 0, 1]) == {last: chunks[last], 0: chunks[0], 1: chunks[1]}
    assert list(backend.chunks([2, 0])) == [2, 0]  # in the order asked for
    assert backend.chunks([]) == {}
    with pytest.raises(KeyError):
        backend.chunks([0, len(chunks)])


def test_source_texts_and_their_lengths_and_pages(backend, tiny_pipeline: Pipeline) -> None:
    sources = {d: text[:] for d, text in tiny_pipeline.store.sources.items()}
    ranges = [TextRange(d, start, start + 40) for d in sorted(sources) for start in (0, 25)]
    ranges.append(TextRange("bridges.txt", 5, 10**6))  # past the end: cut there

    assert backend.source_texts(ranges) == [sources[r.doc_id][r.start : r.end] for r in ranges]
    assert backend.source_texts([TextRange("ponds.txt", 10**6, 10**6 + 5)]) == [""]
    for doc_id, text in sources.items():
        assert backend.source_info(doc_id) == SourceInfo(len(text), ())
    with pytest.raises(KeyError):
        backend.source_info("no-such-document.txt")
    with pytest.raises(KeyError):
        backend.source_texts([TextRange("no-such-document.txt", 0, 5)])


def test_a_closed_backend_opened_again_answers_the_same(
    tiny_pipeline: Pipeline, tmp_path: Path
) -> None:
    store = tiny_pipeline.store
    uri = str(tmp_path / "index.db")
    dense = {"dense": vectors(tiny_pipeline, "dense")}
    made = MilvusBackend.create(
        uri, "chunks", store.chunks, dense, store.bm25.all_terms, sources_of(tiny_pipeline)
    )
    before = made.lexical_search("wind cables", 10), made.chunks([0]), made.source_info("ponds.txt")
    made.close()

    again = MilvusBackend.open(uri, "chunks", ("dense",), store.bm25.all_terms)
    try:
        after = again.lexical_search("wind cables", 10), again.chunks([0])
        assert (*after, again.source_info("ponds.txt")) == before
        assert again.count() == len(store.chunks)
    finally:
        again.close()


PAGED = "".join(f"page {n}: " + "abcdefghij" * (n % 4) + "\n" for n in range(40))


@pytest.fixture(scope="module")
def in_pieces(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MilvusBackend]:
    """Milvus holding a text in pieces of 7 characters (TEXT_PIECE is 16,000: a long text)."""
    import qa.index.backends.milvus as milvus_module

    pages = tuple(i for i, ch in enumerate(PAGED) if ch == "p" and PAGED[i : i + 5] == "page ")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(milvus_module, "TEXT_PIECE", 7)
        made = MilvusBackend.create(
            str(tmp_path_factory.mktemp("pieces") / "index.db"),
            "chunks",
            [],
            {"dense": np.zeros((0, 4), dtype=np.float32)},
            str.split,
            [Source("paged.txt", PAGED, pages + (len(PAGED),)), Source("empty.txt", "")],
        )
        yield made
    made.close()


def test_a_text_in_pieces_reads_back_whole_with_every_page(in_pieces: MilvusBackend) -> None:
    pages = tuple(i for i, ch in enumerate(PAGED) if PAGED[i : i + 5] == "page ")

    assert in_pieces.source_info("paged.txt") == SourceInfo(len(PAGED), (*pages, len(PAGED)))
    assert in_pieces.source_info("empty.txt") == SourceInfo(0, ())
    assert in_pieces.source_texts([TextRange("empty.txt", 0, 9)]) == [""]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.tuples(st.integers(0, len(PAGED) + 20), st.integers(0, 60)), min_size=1, max_size=6)
)
def test_any_ranges_across_pieces_read_as_slices_of_the_text(
    in_pieces: MilvusBackend, wanted: list[tuple[int, int]]
) -> None:
    ranges = [TextRange("paged.txt", start, start + length) for start, length in wanted]

    assert in_pieces.source_texts(ranges) == [PAGED[r.start : r.end] for r in ranges]
