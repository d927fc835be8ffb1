"""The index on disk: manifest checks, no-op rebuilds, determinism, and atomic swaps."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from qa.errors import IndexMismatch, IndexMissing
from qa.index.build import build_index
from qa.index.embedder import HashEmbedder
from qa.index.store import load_index
from qa.pipeline import Pipeline
from qa.settings import Settings

CORPUS_TEXT = """\
# Rivers

## Sources

Rivers begin at springs, lakes or melting glaciers high in the hills. Small streams join as they
run downhill, and the channel grows wider and deeper with every tributary that feeds it.

## Deltas

Where a slow river meets the sea it drops its silt, and a delta of sandbanks and channels forms.
"""


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "rivers.md").write_text(CORPUS_TEXT, encoding="utf-8")
    return Settings(
        corpus_dir=corpus,
        index_dir=tmp_path / "index" / "default",
        embedder="fake",
        second_embedder="fake2",
        chunk_min_words=5,
    )


LAKES_TEXT = """\
# Lakes

## Basins

Lakes fill hollows carved by glaciers, dammed by landslides or sunk where the crust has cracked.
Most are young: a lake slowly fills with silt and plants until it becomes a marsh and then land.
"""


class CountingEmbedder(HashEmbedder):
    """The hashing fake, remembering every text it was asked to embed."""

    def __init__(self, name: str = "fake", salt: str = "") -> None:
        super().__init__(name, salt)
        self.embedded: list[str] = []

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.embedded += texts
        return super().embed_passages(texts)


def all_vectors(index_dir: Path) -> dict[str, np.ndarray]:
    import faiss

    out = {"sentences.npy": np.load(index_dir / "sentences.npy")}
    for name in ("vectors.faiss", "vectors-2.faiss"):
        index = faiss.read_index(str(index_dir / name))
        out[name] = index.reconstruct_n(0, index.ntotal)
    return out


def test_adding_a_document_embeds_only_its_text_and_gives_from_scratch_vectors(
    settings: Settings,
) -> None:
    build_index(settings, HashEmbedder(), second=HashEmbedder("fake2", salt="fake2"))
    (settings.corpus_dir / "lakes.md").write_text(LAKES_TEXT, encoding="utf-8")
    first, second = CountingEmbedder(), CountingEmbedder("fake2", salt="fake2")

    build_index(settings, first, second=second)

    assert first.embedded and second.embedded
    assert all("lake" in text.lower() for text in first.embedded + second.embedded)
    incremental = all_vectors(settings.index_dir)
    build_index(settings, HashEmbedder(), force=True, second=HashEmbedder("fake2", salt="fake2"))
    for name, vectors in all_vectors(settings.index_dir).items():
        np.testing.assert_array_equal(incremental[name], vectors, err_msg=name)


def test_forced_build_embeds_everything_again(settings: Settings) -> None:
    build_index(settings, HashEmbedder())
    counting = CountingEmbedder()
    build_index(settings, counting, force=True)
    chunks = (settings.index_dir / "chunks.jsonl").read_text(encoding="utf-8").splitlines()
    sentences = (settings.index_dir / "sentences.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(counting.embedded) == len(chunks) + len(sentences)


def test_a_build_with_another_model_reuses_nothing(settings: Settings) -> None:
    build_index(settings, HashEmbedder())
    (settings.corpus_dir / "lakes.md").write_text(LAKES_TEXT, encoding="utf-8")
    other = CountingEmbedder("fake-other", salt="other")
    build_index(settings.model_copy(update={"embedder": "fake-other"}), other)
    assert any("river" in text.lower() for text in other.embedded)


def test_an_unreadable_previous_index_is_embedded_afresh(settings: Settings) -> None:
    build_index(settings, HashEmbedder())
    (settings.index_dir / "vectors.faiss").write_bytes(b"not a faiss index")
    (settings.corpus_dir / "lakes.md").write_text(LAKES_TEXT, encoding="utf-8")
    counting = CountingEmbedder()

    build_index(settings, counting)

    assert any("river" in text.lower() for text in counting.embedded)
    assert Pipeline.open(settings).ask("Where do lakes come from?", k=1).passages


class ExplodingEmbedder(HashEmbedder):
    """Fails while embedding, as a crash or Ctrl-C mid-build would."""

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        raise KeyboardInterrupt


def test_loading_before_any_build_says_to_run_qa_build(settings: Settings) -> None:
    with pytest.raises(IndexMissing, match="qa build"):
        load_index(settings, HashEmbedder())


def test_second_build_of_an_unchanged_corpus_is_a_no_op(settings: Settings) -> None:
    first = build_index(settings, HashEmbedder())
    second = build_index(settings, HashEmbedder())
    assert first.built and not second.built
    assert second.chunks == first.chunks


def test_forced_rebuild_writes_byte_identical_chunks(settings: Settings) -> None:
    build_index(settings, HashEmbedder())
    before = (settings.index_dir / "chunks.jsonl").read_bytes()
    build_index(settings, HashEmbedder(), force=True)
    assert (settings.index_dir / "chunks.jsonl").read_bytes() == before


def test_manifest_describes_the_index(settings: Settings) -> None:
    build_index(settings, HashEmbedder())
    manifest = json.loads((settings.index_dir / "manifest.json").read_text())
    assert manifest["embedder"] == {"name": "fake", "dim": 256}
    assert manifest["second_embedder"] == "fake2"
    assert manifest["chunking"]["max_words"] == settings.chunk_max_words
    assert manifest["counts"]["documents"] == 1 and manifest["counts"]["chunks"] >= 2
    assert {"format_version", "corpus_fingerprint", "created_at", "qa_version"} <= manifest.keys()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"embedder": "fake-other"}, "embedder"),
        ({"chunk_max_words": 400}, "chunking"),
        ({"second_embedder": "fake3"}, "second_embedder"),
    ],
)
def test_index_built_with_other_settings_is_refused_with_how_to_rebuild(
    settings: Settings, change: dict, message: str
) -> None:
    build_index(settings, HashEmbedder())
    other = settings.model_copy(update=change)
    embedder = HashEmbedder(other.embedder, salt=other.embedder)
    with pytest.raises(IndexMismatch, match=rf"{message}.*qa build"):
        load_index(other, embedder)


def test_index_of_an_older_format_is_refused(settings: Settings) -> None:
    build_index(settings, HashEmbedder())
    path = settings.index_dir / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["format_version"] = 0
    path.write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatch, match="format_version"):
        load_index(settings, HashEmbedder())


def test_changed_corpus_is_refused_until_rebuilt(settings: Settings) -> None:
    build_index(settings, HashEmbedder())
    (settings.corpus_dir / "lakes.txt").write_text(
        "# Lakes\n\nLakes are still water.\n", encoding="utf-8"
    )
    with pytest.raises(IndexMismatch, match="corpus has changed"):
        load_index(settings, HashEmbedder())
    assert build_index(settings, HashEmbedder()).built
    assert load_index(settings, HashEmbedder()).manifest["counts"]["documents"] == 2


def test_interrupted_rebuild_leaves_the_previous_index_usable(settings: Settings) -> None:
    build_index(settings, HashEmbedder())
    before = (settings.index_dir / "chunks.jsonl").read_bytes()
    with pytest.raises(KeyboardInterrupt):
        build_index(settings, ExplodingEmbedder(), force=True)
    assert (settings.index_dir / "chunks.jsonl").read_bytes() == before
    answer = Pipeline.open(settings).ask("Where do rivers begin?", k=1)
    assert answer.passages[0].hit.chunk.section == "Sources"
    leftovers = [p.name for p in settings.index_dir.parent.iterdir() if "-build-" in p.name]
    assert len(leftovers) == 1, leftovers  # only the live build the symlink points at


def test_rebuild_replaces_the_old_build_directory(settings: Settings) -> None:
    build_index(settings, HashEmbedder())
    old = settings.index_dir.resolve()
    build_index(settings, HashEmbedder(), force=True)
    assert settings.index_dir.resolve() != old and not old.exists()


def test_build_folders_left_by_killed_builds_are_removed_by_the_next_build(
    settings: Settings,
) -> None:
    build_index(settings, HashEmbedder())
    parent = settings.index_dir.parent
    killed = parent / ".default-build-killed"
    killed.mkdir()
    (killed / "vectors.faiss").write_bytes(b"half")
    (parent / ".default-link-1234").symlink_to(killed.name)

    build_index(settings, HashEmbedder(), force=True)

    assert not killed.exists()
    assert not (parent / ".default-link-1234").is_symlink()
    assert settings.index_dir.resolve().exists()


def test_a_plain_directory_left_by_hand_is_swapped_out_too(settings: Settings) -> None:
    build_index(settings, HashEmbedder())
    real = settings.index_dir.resolve()
    settings.index_dir.unlink()
    shutil.copytree(real, settings.index_dir)  # e.g. an index copied over from another machine
    build_index(settings, HashEmbedder(), force=True)
    assert settings.index_dir.is_symlink()
    assert load_index(settings, HashEmbedder()).chunks


def test_crash_while_writing_files_leaves_no_half_written_index(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_index(settings, HashEmbedder())
    before = (settings.index_dir / "manifest.json").read_bytes()

    def disk_full(*_args: object) -> None:
        raise OSError("No space left on device")

    monkeypatch.setattr("qa.index.build._write_lines", disk_full)
    with pytest.raises(OSError, match="No space"):
        build_index(settings, HashEmbedder(), force=True)
    assert (settings.index_dir / "manifest.json").read_bytes() == before
    assert [p.name for p in settings.index_dir.parent.iterdir() if "-build-" in p.name] == [
        settings.index_dir.resolve().name
    ]


def test_outline_marks_boilerplate_sections_that_are_kept_out_of_passages(
    settings: Settings,
) -> None:
    from fastapi.testclient import TestClient

    from qa.api import create_app

    about = "## About ECFR\n\nECFR is a pan-European think-tank with offices in seven capitals.\n"
    (settings.corpus_dir / "rivers.md").write_text(CORPUS_TEXT + "\n" + about, encoding="utf-8")
    pipeline = Pipeline.open(settings)
    body = TestClient(create_app(pipeline=pipeline)).get("/documents/rivers.md").json()
    flags = {entry["heading"]: entry["boilerplate"] for entry in body["outline"]}
    assert flags == {"Rivers": False, "Sources": False, "Deltas": False, "About ECFR": True}
    assert not any("think-tank" in chunk.text for chunk in pipeline.store.chunks)


def test_an_index_without_the_second_model_loads_and_enriching_adds_only_its_vectors(
    settings: Settings,
) -> None:
    build_index(settings, HashEmbedder(), enrich=False)
    pending = load_index(settings, HashEmbedder())
    assert pending.manifest["second_embedder"] is None and pending.second is None
    first, second = CountingEmbedder(), CountingEmbedder("fake2", salt="fake2")

    result = build_index(settings, first, second=second, enrich=True)

    assert result.built and result.second_embedder == "fake2"
    assert first.embedded == [] and len(second.embedded) == len(pending.chunks)
    enriched = load_index(settings, HashEmbedder())
    assert enriched.second is not None and enriched.second.ntotal == len(pending.chunks)
    turned_off = load_index(settings.model_copy(update={"second_embedder": "none"}), HashEmbedder())
    assert len(turned_off.chunks) == len(pending.chunks)
