"""One typed Settings object, read from QA_* environment variables at the edge and passed down."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QA_", frozen=True)

    corpus_dir: Path = REPO_ROOT / "corpus"
    index_dir: Path = REPO_ROOT / "index" / "default"
    embedder: str = "all-MiniLM-L6-v2"  # the primary model; "fake" for tests
    second_embedder: str = "multilingual-e5-small"  # fused with the first; "none" to skip
    chunk_target_words: int = Field(180, ge=40)
    chunk_max_words: int = Field(250, ge=60)
    chunk_min_words: int = Field(100, ge=1)
    max_question_chars: int = Field(1000, ge=1)
    max_k: int = Field(50, ge=1)
    candidates: int = Field(50, ge=5)  # per retriever, before fusion
    merge_window: int = 20  # neighbouring chunks among this many hits merge into one passage
    merge_most: int = Field(2, ge=1)  # chunks a merged passage may hold (1 = no merging)
    # A passage sharing this much of its wording (word 5-grams) with a better one is dropped.
    duplicate_share: float = Field(0.5, gt=0.0, le=1.0)
    rrf_k: int = 20  # chosen by cross-validation (README, "Retrieval study")
    # BM25's first chunk gets this many extra votes in the fusion when it scores at least
    # `bm25_margin` times BM25's second (0 votes: off). Cross-validated, README "Retrieval study".
    bm25_margin: float = Field(1.5, ge=1.0)
    bm25_margin_votes: float = Field(1.0, ge=0.0)
    # Fused scores of these chunk kinds are multiplied by their factor (JSON in QA_KIND_PRIORS,
    # e.g. '{"bio": 0.7}'); other kinds by 1. Cross-validated, README "Retrieval study".
    kind_priors: dict[str, float] = Field(default_factory=dict)
    abstain_below: float = 0.4988  # eval/calibrate.py: with unknown names, 4% of answerable abstain

    # Where the index's chunks are searched (README, "Beyond one machine"): "faiss" (files in
    # the index folder, in this process) or "milvus": embedded in the index folder unless
    # `milvus_uri` names a Milvus server ("http://host:19530"); `milvus_token` its credentials.
    backend: Literal["faiss", "milvus"] = "faiss"
    milvus_uri: str | None = None
    milvus_token: SecretStr | None = None

    # Corpus reading: a bigger file is reported and skipped.
    max_file_mb: float = Field(50.0, gt=0)
    # Builds: how long a second `qa build` of one index waits for the first one's lock.
    build_wait_s: float = Field(600.0, ge=0)

    # Serving: limits and protections of `qa serve` (see README, "Safety").
    max_body_bytes: int = Field(64 * 1024, ge=1024)  # a bigger request body is a 413
    # Questions answered at once; 0: one per available core.
    workers: int = Field(0, ge=0)
    max_waiting: int = Field(16, ge=0)  # questions queued for the worker; beyond this a 503
    max_connections: int = Field(64, ge=1)  # open connections before new ones get a 503
    header_timeout_s: float = Field(10.0, gt=0)  # to receive a request's headers and body
    keep_alive_timeout_s: float = Field(5.0, gt=0)  # an idle keep-alive connection is closed
    api_key: SecretStr | None = None  # when set, clients send `Authorization: Bearer KEY`
    # Browser origins allowed to call the API; none by default. QA_CORS_ORIGINS takes a
    # comma-separated list ("https://a.example,https://b.example") or a JSON list.
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()
    reload_interval_s: float = Field(2.0, gt=0)  # how often a server looks for a newer index

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins_list(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return tuple(part.strip() for part in text.split(",") if part.strip())
        return value


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
