"""all-MiniLM-L6-v2 on onnxruntime: same vectors as sentence-transformers, a cache that is safe.

The first tests need no model (fakes for the export, the tokenizer and the session); the ones
marked `model` export the real model once into a temporary cache.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from qa.index import onnx_minilm
from qa.index.embedder import load_embedder
from qa.index.onnx_minilm import (
    OnnxMiniLMEmbedder,
    default_cache_dir,
    ensure_exported,
    export_file_name,
    length_sorted_batches,
    mean_pool_normalised,
)

# --- no model -------------------------------------------------------------------------------


def test_cache_file_name_changes_with_model_version_torch_and_opset() -> None:
    names = {
        export_file_name("0.1.0", "2.13.0+cpu"),
        export_file_name("0.2.0", "2.13.0+cpu"),
        export_file_name("0.1.0", "2.14.0+cpu"),
        export_file_name("0.1.0", "2.13.0+cpu", opset=18),
    }
    assert len(names) == 4
    assert all(name.endswith(".onnx") and "/" not in name and "+" not in name for name in names)


def test_cache_dir_follows_xdg_cache_home_and_defaults_to_home_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "qa" / "onnx"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir() == Path.home() / ".cache" / "qa" / "onnx"


def test_length_sorted_batches_cover_every_index_once_longest_first() -> None:
    lengths = [5, 1, 9, 3, 9, 2, 7]
    batches = length_sorted_batches(lengths, 3)

    assert [len(batch) for batch in batches] == [3, 3, 1]
    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))
    flat = [lengths[i] for batch in batches for i in batch]
    assert flat == sorted(lengths, reverse=True)


def test_mean_pooling_ignores_padding_and_normalises() -> None:
    hidden = np.array([[[2.0, 0.0], [0.0, 2.0], [100.0, -100.0]]], dtype=np.float32)
    pooled = mean_pool_normalised(hidden, np.array([[1, 1, 0]]))

    assert pooled.dtype == np.float32
    np.testing.assert_allclose(pooled, [[2**-0.5, 2**-0.5]], rtol=1e-6)


class _FakeTokenizer:
    """Text i (a digit string) becomes len(text) copies of token i+1."""

    def encode(self, text: str) -> SimpleNamespace:
        return SimpleNamespace(ids=[int(text[0]) + 1] * len(text))

    def encode_batch(self, texts: list[str]) -> list[SimpleNamespace]:
        return [self.encode(text) for text in texts]


class _FakeSession:
    """Token vector = one-hot at the token id, so a pooled row names the text it came from."""

    def __init__(self) -> None:
        self.batch_shapes: list[tuple[int, int]] = []

    def run(self, outputs: list[str], inputs: dict[str, np.ndarray]) -> list[np.ndarray]:
        ids = inputs["input_ids"]
        self.batch_shapes.append(ids.shape)
        return [np.eye(OnnxMiniLMEmbedder.dim, dtype=np.float32)[ids]]


def test_passages_come_back_in_input_order_though_batched_by_length() -> None:
    embedder = object.__new__(OnnxMiniLMEmbedder)
    session = _FakeSession()
    embedder._tokenizer = _FakeTokenizer()  # type: ignore[assignment]
    embedder._session, embedder._batch_size = session, 2
    texts = ["0", "1111111", "22", "33333", "4444", "5"]  # lengths 1, 7, 2, 5, 4, 1

    vectors = embedder.embed_passages(texts)

    assert vectors.shape == (6, 384)
    assert vectors.argmax(axis=1).tolist() == [1, 2, 3, 4, 5, 6]
    assert session.batch_shapes == [(2, 7), (2, 4), (2, 1)]  # similar lengths share a batch
    assert embedder.embed_passages([]).shape == (0, 384)


def _fake_export(calls: list[Path]):
    def export(model_dir: Path, target: Path) -> None:
        calls.append(target)
        target.write_bytes(b"exported")

    return export


def test_export_runs_once_into_the_cache_and_is_reused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[Path] = []
    monkeypatch.setattr(onnx_minilm, "_export", _fake_export(calls))
    cache = tmp_path / "cache"

    first = ensure_exported(tmp_path, cache)
    second = ensure_exported(tmp_path, cache)

    assert first == second and first.parent == cache and first.read_bytes() == b"exported"
    assert len(calls) == 1 and calls[0].parent == cache and calls[0] != first  # a temp file
    assert not list(cache.glob("*.tmp"))


def test_a_left_over_temp_file_is_never_taken_for_the_model(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[Path] = []
    monkeypatch.setattr(onnx_minilm, "_export", _fake_export(calls))
    cache = tmp_path / "cache"
    cache.mkdir()
    final_name = export_file_name(*onnx_minilm._versions())
    (cache / f".{final_name}.crashed.tmp").write_bytes(b"half a model")

    path = ensure_exported(tmp_path, cache)

    assert len(calls) == 1 and path.read_bytes() == b"exported"


def test_a_failed_export_leaves_neither_model_nor_temp_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def failing(model_dir: Path, target: Path) -> None:
        target.write_bytes(b"half")
        raise RuntimeError("killed mid-export")

    monkeypatch.setattr(onnx_minilm, "_export", failing)
    cache = tmp_path / "cache"

    with pytest.raises(RuntimeError):
        ensure_exported(tmp_path, cache)

    assert not list(cache.glob("*.onnx")) and not list(cache.glob("*.tmp"))


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="backend"):
        load_embedder("all-MiniLM-L6-v2", backend="tensorflow")  # type: ignore[arg-type]


# --- the real model -------------------------------------------------------------------------

LONG = " ".join(
    f"Paragraph {n}: the committee reviewed the budget, the harbour works and the school roof."
    for n in range(40)
)  # about 700 tokens: over the 256-token limit
TEXTS = [
    "What is a pond?",
    "a",
    "?",
    "   leading and trailing spaces   ",
    "Ponds are small bodies of still fresh water, shallow enough for sunlight to reach the bottom.",
    "How do suspension bridges stand up in strong wind?",
    "Dragonfly larvae hunt tadpoles and small fish among the weed for two years.",
    "Ça coûte combien ? Le café est à 2,50 € près de la gare.",
    "東京の天気は晴れです。",
    "Müller's Straße — naïve façade, coöperate, résumé.",
    "Привет, как дела?",
    "emoji 🙂 and symbols ±×÷ ≥ ≤",
    "ALL CAPS HEADLINE: MINISTER RESIGNS OVER BUDGET",
    "1940 Tacoma Narrows 853 m span, 64 km/h winds",
    "line one\nline two\n\ttabbed line three",
    "The anchorage resists the pull of the cable by its weight and its grip on the rock. " * 5,
    "Reeds, rushes and sedges crowd the shallow edge. " * 12,
    LONG,
    LONG + " A tail far beyond the limit that must not change the vector.",
    "x" * 300,
]


@pytest.fixture(scope="module")
def exported_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache holding a stale temp file first; the real export happens once, here."""
    cache = tmp_path_factory.mktemp("onnx-cache")
    final_name = export_file_name(*onnx_minilm._versions())
    (cache / f".{final_name}.12345.tmp").write_bytes(b"not a model, a crash left it here")
    OnnxMiniLMEmbedder(cache_dir=cache)
    return cache


@pytest.fixture(scope="module")
def onnx_embedder(exported_cache: Path) -> OnnxMiniLMEmbedder:
    return OnnxMiniLMEmbedder(cache_dir=exported_cache, batch_size=4)  # several padded batches


@pytest.fixture(scope="module")
def torch_vectors() -> np.ndarray:
    torch_embedder = load_embedder("all-MiniLM-L6-v2", backend="torch")
    return np.stack([torch_embedder.embed_query(text) for text in TEXTS])


@pytest.mark.model
def test_passage_vectors_agree_with_sentence_transformers(
    onnx_embedder: OnnxMiniLMEmbedder, torch_vectors: np.ndarray
) -> None:
    vectors = onnx_embedder.embed_passages(TEXTS)

    assert vectors.dtype == np.float32 and vectors.shape == (len(TEXTS), 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cosines = (vectors * torch_vectors).sum(axis=1)
    assert cosines.min() >= 0.999, dict(zip(TEXTS, cosines.round(5), strict=True))


@pytest.mark.model
def test_query_vectors_agree_with_sentence_transformers(
    onnx_embedder: OnnxMiniLMEmbedder, torch_vectors: np.ndarray
) -> None:
    for text, expected in zip(TEXTS, torch_vectors, strict=True):
        assert float(onnx_embedder.embed_query(text) @ expected) >= 0.999, text


@pytest.mark.model
def test_text_is_truncated_at_256_tokens_like_sentence_transformers(
    onnx_embedder: OnnxMiniLMEmbedder,
) -> None:
    long, longer = onnx_embedder.embed_passages([LONG, TEXTS[-2]])
    np.testing.assert_allclose(long, longer, atol=1e-6)
    assert len(onnx_embedder._tokenizer.encode(LONG).ids) == 256


@pytest.mark.model
def test_export_lands_in_the_cache_and_a_second_embedder_reuses_it(
    exported_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    models = list(exported_cache.glob("*.onnx"))
    assert [path.name for path in models] == [export_file_name(*onnx_minilm._versions())]

    def no_export(model_dir: Path, target: Path) -> None:
        raise AssertionError("exported again although the cache holds the model")

    monkeypatch.setattr(onnx_minilm, "_export", no_export)
    again = OnnxMiniLMEmbedder(cache_dir=exported_cache)

    assert again.model_path == models[0]
    assert again.embed_query("still works").shape == (384,)
