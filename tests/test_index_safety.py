"""The index never costs a user data: builds write only where they own the path, one at a time;
a damaged index is named (IndexCorrupt, no traceback) and repaired by a plain `qa build`; a build
killed mid-write leaves the live index usable and its leftovers are removed by the next build."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from filelock import FileLock

from qa.cli import main
from qa.errors import BuildRunning, IndexCorrupt, UnsafeIndexPath
from qa.index.build import BuildResult, build_index
from qa.index.embedder import HashEmbedder, LazyEmbedder
from qa.index.store import load_index
from qa.index.swap import lock_path
from qa.settings import Settings

RIVERS = """\
# Rivers

## Sources

Rivers begin at springs, lakes or melting glaciers high in the hills. Small streams join as they
run downhill, and the channel grows wider and deeper with every tributary that feeds it.
"""
INDEX_FILES = (
    "manifest.json",
    "chunks.jsonl",
    "sources.jsonl",
    "documents.json",
    "sentences.jsonl",
    "sentences.npy",
    "sentence-spans.npy",
    "vectors.faiss",
    "vectors-2.faiss",
    "bm25-data.npy",
    "bm25-indices.npy",
    "bm25-indptr.npy",
    "bm25-vocab.json",
    "bm25-params.json",
    "words.txt",
)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "rivers.md").write_text(RIVERS, encoding="utf-8")
    return Settings(
        corpus_dir=corpus,
        index_dir=tmp_path / "index" / "default",
        embedder="fake",
        second_embedder="fake2",
        chunk_min_words=5,
        build_wait_s=30,
    )


def build(settings: Settings, force: bool = False) -> BuildResult:
    return build_index(settings, HashEmbedder(), force=force, second=HashEmbedder("fake2", "fake2"))


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under `folder` (following nothing) by relative path -> SHA-256."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }


# --- Ownership: a build replaces only what is its own -----------------------------------------


def test_a_folder_holding_other_files_is_refused_and_left_byte_identical(
    settings: Settings, tmp_path: Path
) -> None:
    mine = tmp_path / "my-notes"
    mine.mkdir()
    (mine / "thesis.docx").write_bytes(b"years of work")
    (mine / "sub").mkdir()
    (mine / "sub" / "data.csv").write_text("a,b\n1,2\n")
    before = snapshot(mine)

    with pytest.raises(UnsafeIndexPath, match="not a qa index"):
        build(settings.model_copy(update={"index_dir": mine}))

    assert snapshot(mine) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus", "my-notes"]


def test_the_corpus_itself_is_refused_as_an_index_and_left_byte_identical(
    settings: Settings,
) -> None:
    before = snapshot(settings.corpus_dir)
    with pytest.raises(UnsafeIndexPath, match="overlap"):
        build(settings.model_copy(update={"index_dir": settings.corpus_dir}))
    assert snapshot(settings.corpus_dir) == before
    assert sorted(p.name for p in settings.corpus_dir.iterdir()) == ["rivers.md"]


@pytest.mark.parametrize("where", ["index inside the corpus", "corpus inside the index"])
def test_an_index_overlapping_the_corpus_is_refused(
    settings: Settings, tmp_path: Path, where: str
) -> None:
    inside = where == "index inside the corpus"
    index_dir = settings.corpus_dir / "index" if inside else tmp_path  # tmp_path holds corpus/
    before = snapshot(tmp_path)
    with pytest.raises(UnsafeIndexPath, match="overlap"):
        build(settings.model_copy(update={"index_dir": index_dir}))
    assert snapshot(tmp_path) == before
    assert not (settings.corpus_dir / "index").exists()


def test_an_index_path_that_is_a_symlink_to_a_users_folder_is_refused(
    settings: Settings, tmp_path: Path
) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "cat.jpg").write_bytes(b"\xff\xd8 a cat")
    link = tmp_path / "index-link"
    link.symlink_to(photos)
    before = snapshot(photos)

    with pytest.raises(UnsafeIndexPath, match="symlink"):
        build(settings.model_copy(update={"index_dir": link}))

    assert snapshot(photos) == before
    assert link.is_symlink() and link.resolve() == photos


def test_an_index_path_that_is_a_file_is_refused(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "index.txt"
    path.write_text("not an index")
    with pytest.raises(UnsafeIndexPath, match="is a file"):
        build(settings.model_copy(update={"index_dir": path}))
    assert path.read_text() == "not an index"


def test_an_empty_folder_is_a_fine_place_for_a_new_index(settings: Settings) -> None:
    settings.index_dir.mkdir(parents=True)
    assert build(settings).built
    assert load_index(settings, HashEmbedder()).chunks


def test_cli_refuses_an_index_that_is_the_corpus_with_one_line_and_exit_2(
    settings: Settings,
) -> None:
    before = snapshot(settings.corpus_dir)
    env = {"QA_EMBEDDER": "fake", "QA_SECOND_EMBEDDER": "fake2"}
    corpus = str(settings.corpus_dir)
    result = CliRunner().invoke(main, ["--corpus", corpus, "--index", corpus, "build"], env=env)
    assert result.exit_code == 2
    assert result.output.startswith("error: the index") and "Traceback" not in result.output
    assert snapshot(settings.corpus_dir) == before


# --- Integrity: damage is named, and repaired by a plain build --------------------------------


def damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "garbage":  # the same size, other bytes
        path.write_bytes(bytes((b + 1) % 256 for b in data))
    else:
        path.unlink()


@pytest.mark.parametrize("how", ["truncated", "garbage", "deleted"])
@pytest.mark.parametrize("name", INDEX_FILES)
def test_a_damaged_index_file_is_refused_as_corrupt_and_repaired_by_a_plain_build(
    settings: Settings, name: str, how: str
) -> None:
    build(settings)
    assert {p.name for p in settings.index_dir.iterdir()} == set(INDEX_FILES), "all are damaged"
    damage(settings.index_dir / name, how)

    with pytest.raises(IndexCorrupt, match="qa build"):
        load_index(settings, HashEmbedder())
    result = build(settings)

    assert result.built
    assert load_index(settings, HashEmbedder()).chunks


def test_a_damaged_index_gives_the_cli_one_line_and_exit_3_then_build_repairs_it(
    settings: Settings,
) -> None:
    build(settings)
    damage(settings.index_dir / "vectors-2.faiss", "truncated")
    env = {
        "QA_EMBEDDER": "fake",
        "QA_SECOND_EMBEDDER": "fake2",
        "QA_CHUNK_MIN_WORDS": "5",
        "QA_CORPUS_DIR": str(settings.corpus_dir),
        "QA_INDEX_DIR": str(settings.index_dir),
    }
    asked = CliRunner().invoke(main, ["ask", "Where do rivers begin?"], env=env)
    assert asked.exit_code == 3
    assert "vectors-2.faiss" in asked.output and "qa build" in asked.output
    assert "Traceback" not in asked.output

    built = CliRunner().invoke(main, ["build"], env=env)
    assert built.exit_code == 0, built.output
    assert "damaged" in built.output and "built" in built.output
    assert CliRunner().invoke(main, ["ask", "Where do rivers begin?"], env=env).exit_code == 0


def test_an_up_to_date_build_loads_no_model(settings: Settings) -> None:
    build(settings)
    embedder = LazyEmbedder("fake")
    result = build_index(settings, embedder, second=LazyEmbedder("fake2"))
    assert not result.built and not embedder.loaded


# --- One build at a time; dead builds' leftovers go -------------------------------------------


def test_a_second_build_says_a_build_is_running_when_it_may_not_wait(settings: Settings) -> None:
    build(settings)
    with FileLock(lock_path(settings.index_dir)), pytest.raises(BuildRunning, match="running"):
        build(settings.model_copy(update={"build_wait_s": 0.2}), force=True)


BUILD_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import qa.index.build as build
    from qa.index.embedder import HashEmbedder
    from qa.settings import Settings

    settings = Settings.model_validate_json(Path(sys.argv[1]).read_text())
    marker = Path(sys.argv[2])
    real_write = build._write_lines

    def slow_write(path, records):  # stands still mid-write, for the test to act
        real_write(path, records)
        with marker.open("a") as fh:  # when each file was written
            fh.write(f"{time.time()}\\n")
        time.sleep(float(sys.argv[3]))

    build._write_lines = slow_write
    build.build_index(settings, HashEmbedder(), second=HashEmbedder("fake2", "fake2"), force=True)
    print("done")
    """
)


def start_build(settings: Settings, tmp_path: Path, pause_s: float, tag: str) -> subprocess.Popen:
    script = tmp_path / "slow_build.py"
    script.write_text(BUILD_SCRIPT)
    config = tmp_path / f"settings-{tag}.json"
    config.write_text(settings.model_dump_json())
    marker = tmp_path / f"writing-{tag}"
    return subprocess.Popen(
        [sys.executable, str(script), str(config), str(marker), str(pause_s)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(path: Path, process: subprocess.Popen, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        if process.poll() is not None:
            raise AssertionError(f"the build exited early: {process.communicate()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} did not appear within {timeout_s} s")
        time.sleep(0.05)


def test_kill_9_while_writing_leaves_the_live_index_usable_and_the_next_build_cleans_up(
    settings: Settings, tmp_path: Path
) -> None:
    build(settings)
    live_before = snapshot(settings.index_dir.resolve())
    process = start_build(settings, tmp_path, pause_s=60, tag="killed")
    wait_for(tmp_path / "writing-killed", process)

    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)

    assert snapshot(settings.index_dir.resolve()) == live_before
    assert load_index(settings, HashEmbedder()).chunks
    builds = [p for p in settings.index_dir.parent.iterdir() if "-build-" in p.name]
    assert len(builds) == 2, "the live build and the killed one's half-written folder"

    started = time.monotonic()
    assert build(settings, force=True).built
    assert time.monotonic() - started < 20, "the dead build's lock was released by the kernel"
    builds = [p for p in settings.index_dir.parent.iterdir() if "-build-" in p.name]
    assert builds == [settings.index_dir.resolve()]


def test_concurrent_builds_of_one_index_take_turns_and_leave_one_intact_index(
    settings: Settings, tmp_path: Path
) -> None:
    first = start_build(settings, tmp_path, pause_s=1.0, tag="first")
    wait_for(tmp_path / "writing-first", first)  # the first holds the lock, mid-write
    second = start_build(settings, tmp_path, pause_s=0.0, tag="second")

    outputs = [p.communicate(timeout=120) for p in (first, second)]

    assert [p.returncode for p in (first, second)] == [0, 0], outputs
    assert all(out.strip() == "done" for out, _ in outputs)
    written = {
        tag: [float(t) for t in (tmp_path / f"writing-{tag}").read_text().split()]
        for tag in ("first", "second")
    }
    assert min(written["second"]) > max(written["first"]), "the second wrote only after the first"
    assert load_index(settings, HashEmbedder()).chunks
    builds = [p for p in settings.index_dir.parent.iterdir() if "-build-" in p.name]
    assert builds == [settings.index_dir.resolve()]


def test_with_a_relative_index_path_a_build_removes_only_dead_builds_never_the_live_one(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    relative = settings.model_copy(update={"index_dir": Path("index/default")})
    build(relative)
    live = relative.index_dir.resolve()
    dead = tmp_path / "index" / ".default-build-dead"
    dead.mkdir()

    class Failing(HashEmbedder):
        def embed_passages(self, texts: list[str]) -> np.ndarray:
            raise RuntimeError("the model failed")

    with pytest.raises(RuntimeError, match="model failed"):
        build_index(relative, Failing(), force=True, second=HashEmbedder("fake2", "fake2"))

    assert not dead.exists(), "the dead build's folder is removed"
    assert relative.index_dir.resolve() == live, "the live build is kept"
    assert load_index(relative, HashEmbedder()).chunks


def test_loading_serves_the_texts_stored_with_the_index_without_reading_the_corpus(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Citations index the text the build parsed (a PDF's is its extraction, not the file), so
    the index stores it; a file edited after the corpus check cannot shift any offset."""
    from qa.corpus import ingest

    build(settings)
    built = (settings.corpus_dir / "rivers.md").read_text(encoding="utf-8")

    def no_reading(*args: object) -> str:
        raise AssertionError("loading read a corpus document")

    monkeypatch.setattr(ingest, "read_document_text", no_reading)
    monkeypatch.setattr(ingest, "decode_text", no_reading)
    store = load_index(settings, HashEmbedder())

    assert store.sources["rivers.md"] == built


class CountingEmbedder(HashEmbedder):
    def __init__(self, name: str = "fake", salt: str = "") -> None:
        super().__init__(name, salt)
        self.embedded = 0

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.embedded += len(texts)
        return super().embed_passages(texts)


def test_repairing_one_damaged_file_re_embeds_only_what_that_file_held(
    settings: Settings,
) -> None:
    build(settings)
    damage(settings.index_dir / "vectors-2.faiss", "truncated")
    first, second = CountingEmbedder(), CountingEmbedder("fake2", "fake2")

    assert build_index(settings, first, second=second).built

    assert first.embedded == 0, "chunk and sentence vectors came from the intact files"
    assert second.embedded == len(load_index(settings, HashEmbedder()).chunks)
