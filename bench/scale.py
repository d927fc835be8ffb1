"""Benchmark: build, start-up, memory, /ask latency and HTTP throughput at 1k to 100k chunks.

Usage: .venv/bin/python bench/scale.py [--sizes 1000,10000,100000] [--real-up-to 10000]
    [--bundled] [--backends faiss,milvus,milvus-server] [--no-http]
Quick check (a few minutes): .venv/bin/python bench/scale.py --sizes 300 --real-up-to 300

Each size gets a corpus of Markdown documents (bench/scale_corpus.py: the bundled documents'
paragraphs, reshuffled) and an index built by `build_index`: with the real primary model up to
--real-up-to chunks, with random unit vectors above (those sizes time everything but the
embedding). The second model's vectors are random at every size unless --real-second. Then, in a
fresh subprocess: `Pipeline.open` time and memory, and `pipeline.ask` latency per mode beside a
bare query encode + FAISS flat search; then 8 clients against `qa serve`. Asserts nothing.

--backends (default faiss) measures each search backend at the same sizes on the same corpus,
side by side: each builds its own index of it (the same embedder, real or random), and is opened,
asked and served (`QA_BACKEND`) alone. For milvus (embedded milvus-lite) the probe also times a
bare engine baseline, query encode + the pipeline's own client's raw dense search, so that the
report shows qa's overhead over the engine; every ratio compares rows of one backend and run.
milvus-server runs the engine in a process of its own (`milvus-lite server`, the gRPC API a
Milvus cluster serves), so qa's memory is measured apart from the engine's.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from scale_corpus import Counting, RandomEmbedder, sample_chunks, source_paragraphs, unit_rows
from scale_corpus import write_corpus as write_markdown

from qa.index.build import build_index
from qa.index.embedder import NONE, LazyEmbedder, load_embedder
from qa.settings import REPO_ROOT, Settings

K = 10
BACKENDS = ("faiss", "milvus", "milvus-server")
STARTED = time.perf_counter()


def log(message: str) -> None:
    """Progress, one line per stage, on stderr (the tables go to stdout)."""
    print(f"[{time.perf_counter() - STARTED:6.0f} s] {message}", file=sys.stderr, flush=True)


def estimate(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return f", est. ~{seconds / 60:.0f} min" if seconds >= 120 else f", est. ~{seconds:.0f} s"


def percentiles(values: list[float]) -> tuple[float, float]:
    if len(values) < 2:
        return (values[0],) * 2 if values else (float("nan"),) * 2
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[94]


def vm_rss_mb() -> float:
    status = Path("/proc/self/status")
    if status.exists():
        return rss_mb(status)
    import resource  # not Linux: the peak instead

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def probe(spec: dict[str, Any]) -> None:
    """In a fresh subprocess: open the pipeline (or only load the models) and time questions."""

    started = time.perf_counter()
    import faiss

    from qa.pipeline import MODES, Pipeline

    backend = spec.get("backend", "faiss")
    settings = Settings(
        corpus_dir=spec["corpus"],
        index_dir=spec["index"],
        backend=backend,
        milvus_uri=spec.get("milvus_uri"),
    )
    out: dict[str, Any] = {}
    if spec["models_only"]:  # the same imports and warm models, no index
        names = (settings.embedder, settings.second_embedder)
        models = [load_embedder(name) for name in names if name != NONE]  # alive until measured
        for model in models:
            model.embed_query("warm up")
    else:
        pipeline = Pipeline.open(settings, build_if_missing=False)
    out["open_s"] = time.perf_counter() - started
    # milvus: milvus-lite's engine (pure Python, a gRPC server on threads) runs inside this
    # process, so its collection and buffers count in this VmRSS and peak.
    out["rss_mb"] = vm_rss_mb()
    # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across execve, so a probe started by a
    # bench process that had built a large index reported that process's peak as its own.
    out["peak_mb"] = rss_mb(Path("/proc/self/status"), "VmHWM:")
    if not spec["models_only"]:
        asked = spec["questions"]
        for mode in MODES:
            pipeline.ask(asked[0], k=K, mode=mode)  # warm-up
            samples: list[float] = []
            stages: dict[str, list[float]] = {}
            for question in asked:
                started = time.perf_counter()
                answer = pipeline.ask(question, k=K, mode=mode)
                samples.append((time.perf_counter() - started) * 1000)
                for key, ms in answer.timings_ms.items():
                    stages.setdefault(key, []).append(ms)
            out[mode] = samples
            out[f"{mode} parts"] = {key: statistics.median(v) for key, v in stages.items()}

        vectors = np.load(spec["flat"])
        flat = faiss.IndexFlatIP(vectors.shape[1])
        flat.add(vectors)
        del vectors

        def bare(question: str) -> None:
            flat.search(pipeline.embedder.embed_query(question)[None, :], K)

        bare(asked[0])
        out["bare"] = [timed(bare, q) for q in asked]
        if backend == "milvus":  # the engine alone: its raw dense search on the same collection
            from qa.index.backends.milvus import MilvusBackend

            engine = pipeline.retriever.backend
            assert isinstance(engine, MilvusBackend), type(engine)
            client, collection = engine.client, engine.collection

            def bare_engine(question: str) -> None:
                vector = pipeline.embedder.embed_query(question)
                client.search(
                    collection,
                    data=[vector.tolist()],
                    anns_field="dense",
                    limit=K,
                    search_params={"metric_type": "IP"},
                )

            bare_engine(asked[0])
            out["engine"] = [timed(bare_engine, q) for q in asked]
    print("PROBE " + json.dumps(out), flush=True)


def timed(call: Any, *args: Any, **kwargs: Any) -> float:
    started = time.perf_counter()
    call(*args, **kwargs)
    return (time.perf_counter() - started) * 1000


def run_probe(spec: dict[str, Any]) -> dict[str, Any]:
    command = [sys.executable, __file__, "--probe", json.dumps(spec)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT)
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("PROBE ")]
    if done.returncode or not lines:
        sys.exit(f"probe failed ({done.returncode}):\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(lines[-1].removeprefix("PROBE "))
    return result


def chunk_texts(settings: Settings) -> list[str]:
    """The built index's chunk texts, as the build embedded them (no model loads). An engine
    opened to read them is closed again: milvus-lite's folder must be free for the probe."""
    from qa.pipeline import open_index

    store = open_index(settings, build_if_missing=False)
    try:
        return [chunk.search_text for chunk in store.chunks]
    finally:
        store.close()


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.settings = Settings()  # the models' names, from QA_* or the defaults
        self.dim = LazyEmbedder(self.settings.embedder).dim
        self.pool = source_paragraphs(REPO_ROOT / "corpus")
        lines = (REPO_ROOT / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
        every = [json.loads(line)["question"] for line in lines if line.strip()]
        self.questions = random.Random(0).sample(every, min(args.questions, len(every)))
        real = args.bundled or any(n <= args.real_up_to for n in args.sizes)
        self.real = load_embedder(self.settings.embedder) if real else None
        second = self.settings.second_embedder
        self.real_second = load_embedder(second) if real and args.real_second else None
        self.rates: dict[str, float] = {}  # stage -> seconds per chunk, for estimates

    def calibrate(self) -> None:
        """One small build with random vectors: chunks per section, words per chunk, and the
        cost per chunk of what is not embedding; and the model's encode time per chunk."""
        folder = self.args.work / "calibrate"
        words = write_markdown(folder / "corpus", self.pool, sections=8, per_document=8)
        settings = Settings(corpus_dir=folder / "corpus", index_dir=folder / "index" / "default")
        primary, second = self.embedders(real=False)
        built = build_index(settings, primary, second=second)
        self.chunks_per_section = built.chunks / 8
        self.words_per_chunk = words / built.chunks
        self.rates["build"] = built.seconds / built.chunks
        if self.real is not None:
            texts = sample_chunks(self.pool, round(self.words_per_chunk), 48)
            self.real.embed_passages(texts[:8])  # first-call allocations
            self.rates["encode"] = timed(self.real.embed_passages, texts) / 1000 / len(texts)
            self.rates["real build"] = self.rates["build"] + self.rates["encode"]
        shutil.rmtree(folder, ignore_errors=True)
        log(
            f"calibrated: {self.words_per_chunk:.0f} words a chunk, "
            f"{self.chunks_per_section:.1f} chunks a section of 20 paragraphs"
        )

    def embedders(self, *, real: bool) -> tuple[Any, Any]:
        second_name = self.settings.second_embedder
        primary = Counting(self.real) if real else RandomEmbedder(self.settings.embedder, self.dim)
        if second_name == NONE:
            return primary, None
        second = self.real_second if real and self.real_second else None
        return primary, second or RandomEmbedder(second_name, LazyEmbedder(second_name).dim, 1)

    def guess(self, stage: str, chunks: int, backend: str = "faiss") -> str:
        key = rate_key(stage, backend)
        return estimate(self.rates[key] * chunks if key in self.rates else None)

    def run(self, size: int | None) -> list[dict[str, Any]]:
        """One size (None: the bundled corpus, real vectors): its corpus written once, then a
        row per backend (each its own index)."""
        folder = self.args.work / f"size-{size or 'bundled'}"
        if size is None:
            corpus, real = REPO_ROOT / "corpus", True
            shared: dict[str, Any] = {"size": "bundled", "vectors": "real"}
            shared["documents"] = sum(1 for path in corpus.iterdir() if path.is_file())
        else:
            corpus = folder / "corpus"
            real = size <= self.args.real_up_to
            shared = {"size": size, "vectors": "real" if real else "random"}
            sections = max(1, round(size / self.chunks_per_section))
            per_document = max(1, round(self.args.chunks_per_document / self.chunks_per_section))
            started = time.perf_counter()
            write_markdown(corpus, self.pool, sections, per_document)
            shared["documents"] = -(-sections // per_document)
            seconds = time.perf_counter() - started
            log(f"size {size}: wrote {shared['documents']} documents in {seconds:.0f} s")
        folder.mkdir(parents=True, exist_ok=True)
        rows = []
        for label in self.args.backends:
            index = folder / f"index-{label}" / "default"  # no build reuses another's vectors
            settings = Settings(corpus_dir=corpus, index_dir=index, backend=label.split("-")[0])
            with engine_server(label, folder) as (uri, engine_rss):
                settings = settings.model_copy(update={"milvus_uri": uri})
                row = self.measure(size or 250, settings, folder, shared, real, label)
                if engine_rss is not None:
                    row["engine_mb"] = engine_rss()  # after its index was loaded and asked
            rows.append(row)
        if not self.args.keep:
            shutil.rmtree(folder, ignore_errors=True)
        return rows

    def measure(
        self,
        size: int,
        settings: Settings,
        folder: Path,
        shared: dict[str, Any],
        real: bool,
        backend: str,
    ) -> dict[str, Any]:
        """One backend at one size: build, then the probe and the HTTP load. The bare encode
        and the flat search's vectors are the size's, made after its first build."""
        name = f"size {shared['size']} {backend}"
        row: dict[str, Any] = {**shared, "backend": backend}
        kind = f"real {self.settings.embedder}" if real else "random vectors"
        stage = "real build" if real else "build"
        log(f"{name}: building ({kind}){self.guess(stage, size, backend)}")
        primary, second = self.embedders(real=real)
        built = build_index(settings, primary, second=second, force=True)
        row.update(chunks=built.chunks, build_s=built.seconds)
        log(f"{name}: built {built.chunks} chunks in {built.seconds:.0f} s")
        flat = folder / "flat.npy"
        if real and self.real is not None:
            row["embedded"] = f"{primary.texts} + {primary.parts}"
            self.rates[rate_key("real build", backend)] = built.seconds / built.chunks
            if "encode_s" not in shared:
                texts = chunk_texts(settings)
                log(f"{name}: bare encode of {len(texts)} chunk texts{self.guess('encode', size)}")
                started = time.perf_counter()
                vectors = self.real.embed_passages(texts)
                shared["encode_s"] = time.perf_counter() - started
                self.rates["encode"] = shared["encode_s"] / len(texts)
                log(f"{name}: bare encode in {shared['encode_s']:.0f} s")
                np.save(flat, np.ascontiguousarray(vectors, dtype=np.float32))
            row["encode_s"] = shared["encode_s"]
        else:
            self.rates[rate_key("build", backend)] = built.seconds / built.chunks
            if not flat.exists():
                vectors = unit_rows(np.random.default_rng(2), built.chunks, self.dim)
                np.save(flat, np.ascontiguousarray(vectors, dtype=np.float32))

        if not self.args.no_probe:
            what = f"open, {len(self.questions)} questions x 4{self.guess('probe', size, backend)}"
            log(f"{name}: fresh subprocess: {what}")
            started = time.perf_counter()
            spec: dict[str, Any] = {
                "corpus": str(settings.corpus_dir),
                "index": str(settings.index_dir),
                "backend": settings.backend,
                "milvus_uri": settings.milvus_uri,
            }
            spec.update(flat=str(flat), questions=self.questions, models_only=False)
            row["probe"] = run_probe(spec)
            self.rates[rate_key("probe", backend)] = (time.perf_counter() - started) / built.chunks
            log(f"{name}: pipeline opened in {row['probe']['open_s']:.1f} s")
        if not self.args.no_http:
            http = self.guess("http", size, backend)
            log(f"{name}: qa serve and {self.args.clients} clients{http}")
            started = time.perf_counter()
            served = folder / f"serve-{backend}.log"
            row["http"] = http_stage(settings, self.questions, self.args, served)
            self.rates[rate_key("http", backend)] = (time.perf_counter() - started) / built.chunks
        return row


@contextmanager
def engine_server(
    label: str, folder: Path
) -> Iterator[tuple[str | None, Callable[[], float] | None]]:
    """For "milvus-server": a Milvus server in its own process (`milvus-lite server`, the
    gRPC API a Milvus cluster serves) on a free local port, so that the probe's and qa serve's
    memory is qa's alone; yields its URI and a reading of its VmRSS. Nothing for the others."""
    if label != "milvus-server":
        yield None, None
        return
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    command = [str(Path(sys.executable).with_name("milvus-lite")), "server"]
    command += ["--data-dir", str(folder / "engine-server"), "--host", "127.0.0.1"]
    command += ["--port", str(port)]
    with (folder / "engine-server.log").open("wb") as output:
        server = subprocess.Popen(command, stdout=output, stderr=output)
    try:
        deadline = time.monotonic() + 60
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"milvus-lite server did not start: see {folder}")
            time.sleep(0.2)
        status = Path(f"/proc/{server.pid}/status")
        yield f"http://127.0.0.1:{port}", lambda: rss_mb(status)
    finally:
        server.terminate()
        server.wait(timeout=30)


def rss_mb(status: Path, field: str = "VmRSS:") -> float:
    for line in status.read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) / 1024
    return float("nan")


def rate_key(stage: str, backend: str) -> str:
    """The estimates' key: a stage's seconds per chunk, of one backend (the encode: of none)."""
    return stage if backend == "faiss" or stage == "encode" else f"{backend} {stage}"


def http_stage(settings: Settings, asked: list[str], args: argparse.Namespace, out: Path) -> dict:
    """`qa serve` on a free port: seconds until /health answers, then --clients clients."""
    with socket.socket() as probe_port:
        probe_port.bind(("127.0.0.1", 0))
        port = probe_port.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    folders = ["--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir)]
    command = [str(Path(sys.executable).with_name("qa")), *folders, "serve", "--port", str(port)]
    env = {**os.environ, "QA_BACKEND": settings.backend}  # the backend its index was built for
    if settings.milvus_uri:
        env["QA_MILVUS_URI"] = settings.milvus_uri
    started = time.perf_counter()
    with out.open("wb") as output:  # the child keeps its own handle
        server = subprocess.Popen(command, stdout=output, stderr=output, cwd=REPO_ROOT, env=env)
    try:
        while not healthy(base):
            if server.poll() is not None:
                sys.exit(f"qa serve exited ({server.returncode}):\n{out.read_text()[-3000:]}")
            time.sleep(0.5)
        start_s = time.perf_counter() - started
        log(f"qa serve answered /health after {start_s:.1f} s; {args.clients} clients")
        httpx.post(f"{base}/ask", json={"question": asked[0], "k": K}, timeout=120)  # warm-up
        return {"start_s": start_s, **clients(base, asked, args)}
    finally:
        server.terminate()
        server.wait(timeout=30)


def healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/health", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def clients(base: str, asked: list[str], args: argparse.Namespace) -> dict[str, Any]:
    """--clients threads, each with its own kept-alive connection, posting /ask until
    --seconds pass or --requests are sent; answers/s over the time until the last returned."""
    answered: list[float] = []
    failed: list[str] = []
    sent = iter(range(args.requests))  # next() is atomic enough under the GIL for a counter
    deadline = time.perf_counter() + args.seconds

    def client() -> None:
        with httpx.Client(base_url=base, timeout=120) as http:
            for n in sent:
                if time.perf_counter() >= deadline:
                    return
                started = time.perf_counter()
                try:
                    response = http.post("/ask", json={"question": asked[n % len(asked)], "k": K})
                    outcome = str(response.status_code)
                except httpx.HTTPError as error:
                    outcome = type(error).__name__
                if outcome == "200":
                    answered.append((time.perf_counter() - started) * 1000)
                else:
                    failed.append(outcome)

    started = time.perf_counter()
    with ThreadPoolExecutor(args.clients) as pool:
        for future in [pool.submit(client) for _ in range(args.clients)]:
            future.result()
    p50, p95 = percentiles(answered)
    per_s = len(answered) / (time.perf_counter() - started)
    return {"answers": len(answered), "per_s": per_s, "p50": p50, "p95": p95, "errors": failed}


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    print(f"\n{title}")
    for line in (header, *rows):
        print("  ".join(cell.rjust(width) for cell, width in zip(line, widths, strict=True)))


def report(rows: list[dict[str, Any]], models: dict[str, Any] | None, bench: Bench) -> None:
    """The tables: a row per size and backend; every ratio is of one row's (one backend's)."""
    args, (first, second) = bench.args, (bench.settings.embedder, bench.settings.second_embedder)
    print(
        f"\nscale: ~{bench.words_per_chunk:.0f} words a chunk; {len(bench.questions)} eval "
        f"questions; k={K}. {first}: real vectors up to {args.real_up_to} chunks, random unit "
        "vectors above (those rows time everything but the embedding). "
        f"{second}: {'real' if args.real_second else 'random'} vectors at every size. "
        f"Backends: {', '.join(args.backends)} (each its own index of the same corpus)."
    )
    table(
        "build_index (the whole call) vs a bare encode of the same chunk texts by the same model",
        ["size", "backend", "vectors", "docs", "chunks", "build s", "encode s", "ratio"]
        + ["texts + parts"],
        [
            [str(r["size"]), r["backend"], r["vectors"], str(r["documents"]), str(r["chunks"])]
            + [f"{r['build_s']:.1f}", f"{r['encode_s']:.1f}", f"{r['build_s'] / r['encode_s']:.2f}"]
            + [r["embedded"]]
            if "encode_s" in r
            else [str(r["size"]), r["backend"], r["vectors"], str(r["documents"]), str(r["chunks"])]
            + [f"{r['build_s']:.1f}", "-", "-", "-"]
            for r in rows
        ],
    )
    probed = [r for r in rows if "probe" in r]
    engines = any("engine" in r["probe"] for r in probed)  # a milvus row: its engine alone
    if models is not None and probed:
        out = []
        for r in probed:
            # VmRSS: with milvus, milvus-lite's engine runs inside the probe's process (pure
            # Python), so its memory is counted here, in "beyond the models" and in the peak.
            p, beyond = r["probe"], r["probe"]["rss_mb"] - models["rss_mb"]
            serve = f"{r['http']['start_s']:.1f}" if "http" in r else "-"
            out.append([str(r["size"]), r["backend"], str(r["chunks"]), f"{p['open_s']:.1f}"])
            out[-1] += [serve, f"{p['rss_mb']:.0f}", f"{beyond:.0f}"]
            out[-1] += [f"{beyond * 1024 / r['chunks']:.1f}", f"{p['peak_mb']:.0f}"]
            out[-1].append(f"{r['engine_mb']:.0f}" if "engine_mb" in r else "-")
        milvus = (
            "; milvus: milvus-lite runs in the process, counted; milvus-server: a Milvus "
            "server in its own process (engine MB: its VmRSS after the probe)"
            if engines
            else ""
        )
        table(
            "start-up, fresh subprocess: imports + Pipeline.open + warm models (the models alone: "
            f"{models['open_s']:.1f} s, {models['rss_mb']:.0f} MB); qa serve: until /health.\n"
            f"memory beyond the models = VmRSS after opening - VmRSS of the models alone{milvus}",
            ["size", "backend", "chunks", "open s", "serve s", "VmRSS MB", "beyond MB"]
            + ["KB/chunk", "peak MB", "engine MB"],
            out,
        )
        out = []
        for r in probed:
            bare = percentiles(r["probe"]["bare"])[0]
            engine = percentiles(r["probe"]["engine"])[0] if "engine" in r["probe"] else None
            for mode in ("hybrid", "dense", "bm25", "bare", "engine"):
                if mode not in r["probe"]:
                    continue
                p50, p95 = percentiles(r["probe"][mode])
                parts = r["probe"].get(f"{mode} parts", {})
                stages = ", ".join(f"{key} {ms:.1f}" for key, ms in parts.items() if key != "total")
                out.append([str(r["size"]), r["backend"], mode, f"{p50:.1f}", f"{p95:.1f}"])
                out[-1].append(f"{p50 / bare:.1f}")
                if engines:
                    out[-1].append(f"{p50 / engine:.1f}" if engine else "-")
                out[-1].append(stages)
        table(
            f"pipeline.ask(k={K}) per mode vs a bare query encode ({first}) + FAISS flat search, "
            "same process; ratio = p50 / bare p50"
            + (
                "\nengine (milvus): a bare query encode + the pipeline's own pymilvus client's "
                "dense search of its collection; vs engine = p50 / engine p50"
                if engines
                else ""
            ),
            ["size", "backend", "mode", "p50 ms", "p95 ms", "ratio"]
            + (["vs engine"] if engines else [])
            + ["median ms by stage (timings_ms)"],
            out,
        )
    served = [r for r in rows if "http" in r]
    if served:
        out = []
        for r in served:
            h = r["http"]
            bare_rate = 1000 / statistics.mean(r["probe"]["bare"]) if "probe" in r else np.nan
            out.append([str(r["size"]), r["backend"], str(h["answers"]), f"{h['per_s']:.1f}"])
            out[-1] += [f"{h['p50']:.0f}", f"{h['p95']:.0f}", str(len(h["errors"]))]
            out[-1] += [f"{bare_rate:.1f}", f"{h['per_s'] / bare_rate:.2f}"]
            if engines:
                timings = r.get("probe", {}).get("engine")
                engine_rate = 1000 / statistics.mean(timings) if timings else None
                out[-1] += (
                    [f"{engine_rate:.1f}", f"{h['per_s'] / engine_rate:.2f}"]
                    if engine_rate
                    else ["-", "-"]
                )
        table(
            f"POST /ask to qa serve, {args.clients} clients for at most {args.seconds:g} s or "
            f"{args.requests} requests; ratio = answers/s / bare encode+search per s (one thread)"
            + ("; vs engine: / bare encode + engine search per s" if engines else ""),
            ["size", "backend", "answers", "answers/s", "p50 ms", "p95 ms", "errors", "bare/s"]
            + ["ratio"]
            + (["engine/s", "vs engine"] if engines else []),
            out,
        )


def sizes(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def backends(text: str) -> list[str]:
    names = list(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    unknown = [name for name in names if name not in BACKENDS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"not one of {', '.join(BACKENDS)}: {text!r}")
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=sizes, default=[1000, 10000, 100000])
    parser.add_argument("--real-up-to", type=int, default=10000, help="real model up to N chunks")
    parser.add_argument("--real-second", action="store_true", help="real second model too (slow)")
    parser.add_argument(
        "--bundled", action="store_true", help="first, a row of the bundled corpus (real vectors)"
    )
    parser.add_argument(
        "--backends",
        type=backends,
        default=["faiss"],
        help="comma list of: faiss, milvus (embedded), milvus-server (milvus-lite server)",
    )
    parser.add_argument("--questions", type=int, default=50, help="eval questions asked")
    parser.add_argument("--chunks-per-document", type=int, default=150)
    parser.add_argument("--no-probe", action="store_true", help="skip start-up and latency")
    parser.add_argument("--no-http", action="store_true", help="skip the `qa serve` load")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0, help="HTTP load: at most")
    parser.add_argument("--requests", type=int, default=400, help="HTTP load: at most")
    parser.add_argument("--work", type=Path, help="folder for corpora and indexes (temporary)")
    parser.add_argument("--keep", action="store_true", help="keep corpora and indexes")
    parser.add_argument("--probe", help=argparse.SUPPRESS)  # the subprocess's own mode
    args = parser.parse_args()
    if args.probe:
        return probe(json.loads(args.probe))

    made = args.work is None
    args.work = (args.work or Path(tempfile.mkdtemp(prefix="qa-scale-"))).absolute()
    args.work.mkdir(parents=True, exist_ok=True)
    log(f"working in {args.work}; loading models")
    bench = Bench(args)
    rows: list[dict[str, Any]] = []
    models = None
    try:
        bench.calibrate()
        if not args.no_probe:
            models = run_probe({"corpus": "", "index": "", "models_only": True})
            log(f"models alone, fresh subprocess: {models['rss_mb']:.0f} MB")
        for size in ([None] if args.bundled else []) + args.sizes:
            rows += bench.run(size)
    finally:
        if made and not args.keep:
            shutil.rmtree(args.work, ignore_errors=True)
        if rows:  # the sizes done so far, even when a later one fails
            report(rows, models, bench)


if __name__ == "__main__":
    main()
