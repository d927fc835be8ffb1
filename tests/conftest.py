"""Shared fixtures: a two-document corpus indexed once per session with the fake embedder."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from qa.settings import REPO_ROOT, Settings

# Real PDF and web files, shared with the second eval set (sources and licences in
# eval/library/SOURCES.md); test-only files (encrypted, made here) are in tests/data/library.
REAL_DOCUMENTS = REPO_ROOT / "eval" / "library" / "corpus"

if TYPE_CHECKING:
    from qa.pipeline import Pipeline

PONDS = """\
# FRESHWATER PONDS: A FIELD GUIDE

## Introduction

by Jane Marsh

Ponds are small bodies of still fresh water. They are shallow enough for sunlight to reach the
bottom, so rooted plants can grow across the whole floor. Most ponds are younger than a few
hundred years, and many were dug by people for cattle, for fish, or for clay.

A healthy pond changes through the seasons. In spring the water warms quickly and algae bloom;
in summer the margins thicken with reeds; in autumn leaves sink and feed the mud below.

## Plants of the margin

Reeds, rushes and sedges crowd the shallow edge of a pond. Their roots hold the bank together
and their stems give insects a ladder between water and air. Yellow flag iris flowers in early
summer, and water mint scents the air when it is crushed underfoot.

Floating plants such as duckweed can cover a still pond within weeks. A thick mat of duckweed
shades the water below and starves submerged plants of light.

## Animals of open water

Dragonfly larvae hunt tadpoles and small fish among the weed. They may live underwater for two
years before they climb a reed stem and split their skins to emerge as adults.

Pond skaters rest on the surface film and feel for the ripples of drowning insects. Water
boatmen swim on their backs and breathe from a bubble of air trapped under the wings.
"""

BRIDGES = """\
# HOW SUSPENSION BRIDGES STAND

## Cables and towers

by Tomas Girder

A suspension bridge hangs its deck from two main cables. Each cable is spun on site from
thousands of parallel steel wires, bundled and compacted into one round strand. The cables pass
over the tops of tall towers, which carry the weight of the deck straight down into the ground.

At each end of the bridge the cables are anchored in massive concrete blocks called anchorages.
The anchorage resists the pull of the cable by its sheer weight and by its grip on the rock.

## Wind and the deck

Wind can make a long deck twist and sway. After the collapse of the Tacoma Narrows Bridge in
1940, engineers began to test deck shapes in wind tunnels before building them. Stiffening
trusses and streamlined box girders now keep decks steady in storms.

Engineers also inspect the main cables by unwrapping short lengths and looking for broken or
corroded wires.
"""


def small_corpus_settings(root: Path, files: dict[str, str]) -> Settings:
    """Settings for a corpus of `files` (name -> text) under `root`, with small chunks and the
    hashing fake embedders."""
    corpus = root / "corpus"
    corpus.mkdir()
    for name, text in files.items():
        (corpus / name).write_text(text, encoding="utf-8")
    return Settings(
        corpus_dir=corpus,
        index_dir=root / "index",
        embedder="fake",
        second_embedder="fake2",
        chunk_target_words=40,
        chunk_max_words=60,
        chunk_min_words=10,
    )


@pytest.fixture(scope="session")
def tiny_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings for a two-document corpus in a temporary folder, with small chunks."""
    root = tmp_path_factory.mktemp("tiny")
    return small_corpus_settings(root, {"ponds.txt": PONDS, "bridges.txt": BRIDGES})


@pytest.fixture(scope="session")
def tiny_pipeline(tiny_settings: Settings) -> Pipeline:
    from qa.pipeline import Pipeline  # imported here so a broken core fails these tests only

    return Pipeline.open(tiny_settings)


@pytest.fixture(scope="session")
def real_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    """The real models over the bundled corpus, indexed once per session (about 2 minutes)."""
    from qa.pipeline import Pipeline

    settings = Settings(index_dir=tmp_path_factory.mktemp("real-index") / "default")
    return Pipeline.open(settings)
