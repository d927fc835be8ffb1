"""`qa eval`: run an eval set, write a report, optionally gate on its thresholds.

Heavy imports (the pipeline, torch) happen inside the command so `qa --help` stays instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from qa.settings import REPO_ROOT

MODE_CHOICES = ("hybrid", "dense", "bm25", "all")
ALL_MODES = ("hybrid", "dense", "bm25")


def resolve_modes(requested: tuple[str, ...]) -> tuple[str, ...]:
    """`all` means the three modes side by side; repeats collapse; default is hybrid.

    >>> resolve_modes(()), resolve_modes(("bm25", "all")), resolve_modes(("dense", "dense"))
    (('hybrid',), ('hybrid', 'dense', 'bm25'), ('dense',))
    """
    if not requested:
        return ("hybrid",)
    if "all" in requested:
        return ALL_MODES
    return tuple(dict.fromkeys(requested))


@click.command("eval")
@click.option(
    "--set",
    "set_name",
    type=click.Choice(["main", "locked", "both", "library"]),
    default="main",
    show_default=True,
    help="main: eval/questions.jsonl over the corpus; locked: eval/locked/questions.jsonl, the "
    "split no setting is chosen on; both: main and locked, then the gap between them; library: "
    "eval/library/questions.jsonl over the PDF, HTML and Word files of eval/library/corpus "
    "(indexed in index/eval-library).",
)
@click.option(
    "--questions",
    "questions_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Another questions file (JSON lines) about the set's corpus.  [default: the set's]",
)
@click.option(
    "--mode",
    "modes",
    type=click.Choice(MODE_CHOICES),
    multiple=True,
    help="Retrieval mode; repeat it, or use 'all' for hybrid, dense and bm25 side by side. "
    "[default: hybrid]",
)
@click.option(
    "-k",
    "k",
    type=click.IntRange(1, 50),
    default=10,
    show_default=True,
    help="Passages asked for per question.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=REPO_ROOT / "eval" / "reports",
    show_default="eval/reports",
    help="Where the <UTC timestamp>/ report folder is written.",
)
@click.option(
    "--gate",
    is_flag=True,
    help="Exit 1 if a metric of the gated mode misses the set's thresholds "
    "(eval/thresholds.json, eval/library/thresholds.json), naming the gap.",
)
@click.pass_context
def eval_command(
    ctx: click.Context,
    set_name: str,
    questions_path: Path | None,
    modes: tuple[str, ...],
    k: int,
    as_json: bool,
    out_dir: Path,
    gate: bool,
) -> None:
    """Measure retrieval quality on the eval set and write a report.

    \b
    Examples:
      qa eval                       # hybrid, report in eval/reports/<timestamp>/
      qa eval --mode all            # hybrid, dense and bm25 side by side
      qa eval --json | jq '.modes.hybrid.overall["R@5"]'
      qa eval --gate                # exit 1 if below eval/thresholds.json
      qa eval --set both --gate     # own set and locked split, each against its thresholds
      qa eval --set library --gate  # the PDF/HTML/Word set, against its own thresholds
    """
    import json

    from rich.console import Console

    from qa.evaluation.dataset import load_questions
    from qa.evaluation.gate import gate_failures, load_thresholds
    from qa.evaluation.report import report_dict, write_report
    from qa.evaluation.sets import EVAL_SETS
    from qa.settings import Settings

    err = Console(stderr=True)
    obj = ctx.obj if isinstance(ctx.obj, dict) else {}
    names = ("main", "locked") if set_name == "both" else (set_name,)
    if questions_path is not None and len(names) > 1:
        raise click.UsageError("--questions replaces one set's questions; pick main or locked")
    run_modes = resolve_modes(modes)
    from qa.pipeline import Pipeline, lazy_embedders

    say = lambda message: err.print(message, markup=False)  # noqa: E731
    pipeline: Pipeline | None = None
    reports: dict[str, tuple[Any, dict[str, str]]] = {}
    failed = False
    for name in names:
        eval_set = EVAL_SETS[name]
        settings = eval_set.settings(obj.get("settings") or Settings())
        thresholds = load_thresholds(eval_set.thresholds) if gate else None
        if thresholds is not None and thresholds.mode not in run_modes:
            mode = thresholds.mode
            raise click.UsageError(f"--gate checks mode {mode!r}; add --mode {mode} or --mode all")
        questions_file = questions_path or eval_set.questions
        questions = load_questions(questions_file, settings.corpus_dir)
        if pipeline is None or eval_set.corpus is not None:
            embedders = lazy_embedders(settings)  # loaded once, by the build or by the questions
            if eval_set.corpus is not None:  # its own index, kept up to date (reusing vectors)
                from qa.index.build import build_index

                build_index(settings, embedders[0], second=embedders[1], progress=say)
            pipeline = Pipeline.open(settings, progress=say, embedders=embedders)

        report = _run_with_progress(pipeline, questions, run_modes, k, err)
        extra = {"questions_file": str(questions_file), "set": name}
        folder = write_report(report, out_dir, **extra)
        err.print(f"report written to {folder}")
        reports[name] = (report, extra)
        if not as_json:
            _print_tables(report, title=name if len(names) > 1 else None)
        if thresholds is not None:
            failures = gate_failures(report.run(thresholds.mode).metrics["overall"], thresholds)
            if failures:
                err.print(f"[red]gate failed ({name}, {thresholds.mode}):[/red]")
                for line in failures:
                    err.print(f"  {line}", markup=False)
                failed = True
            else:
                err.print(f"[green]gate passed ({name}, {thresholds.mode})[/green]")

    if as_json:
        dicts = {name: report_dict(report, **extra) for name, (report, extra) in reports.items()}
        if len(dicts) == 1:
            click.echo(json.dumps(next(iter(dicts.values())), indent=2, ensure_ascii=False))
        else:
            gaps = split_gap(reports["main"][0], reports["locked"][0])
            both = {**dicts, "gap": gaps}
            click.echo(json.dumps(both, indent=2, ensure_ascii=False))
    elif len(reports) > 1:
        _print_gap(split_gap(reports["main"][0], reports["locked"][0]))
    if failed:
        ctx.exit(1)


def _run_with_progress(
    pipeline: Any, questions: list[Any], modes: tuple[str, ...], k: int, err: Any
) -> Any:  # the pipeline, questions and report types are imported lazily
    from rich.progress import Progress

    from qa.evaluation.runner import run_eval

    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("eval", total=len(questions) * len(modes))
        finished: dict[str, int] = {}

        def step(mode: str, done: int, total: int) -> None:
            finished[mode] = done
            bar.update(task, completed=sum(finished.values()), description=f"eval {mode}")

        return run_eval(pipeline, questions, modes=modes, k=k, progress=step)


def split_gap(own, locked) -> dict[str, dict[str, float | None]]:  # noqa: ANN001 - EvalReports
    """Per mode, locked minus own for each overall metric (negative: the locked split scores
    lower; for R@5 that is what choices fitted to the own set cost)."""
    counts = ("questions", "answerable", "unanswerable")
    gaps: dict[str, dict[str, float | None]] = {}
    for run in own.runs:
        mine, theirs = run.metrics["overall"], locked.run(run.mode).metrics["overall"]
        gaps[run.mode] = {
            name: _difference(theirs.get(name), value)
            for name, value in mine.items()
            if name not in counts
        }
    return gaps


def _difference(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else round(a - b, 4)


def _print_gap(gaps: dict[str, dict[str, float | None]]) -> None:
    from rich.console import Console
    from rich.table import Table

    from qa.evaluation.report import COLUMNS

    table = Table(title="gap: locked − own (overall)")
    table.add_column("mode")
    columns = [name for name in COLUMNS if name != "questions"]
    for name in columns:
        table.add_column(name, justify="right")
    for mode, values in gaps.items():
        cells = ["—" if values.get(name) is None else f"{values[name]:+.3f}" for name in columns]
        table.add_row(mode, *cells)
    Console().print(table)


def _print_tables(report, title: str | None = None) -> None:  # noqa: ANN001 - EvalReport
    from rich.console import Console
    from rich.table import Table

    from qa.evaluation.report import COLUMNS, format_value

    out = Console()
    for run in report.runs:
        prefix = f"{title}: " if title else ""
        table = Table(title=f"{prefix}{run.mode} (k={report.k})")
        table.add_column("group")
        for name in COLUMNS:
            table.add_column(name, justify="right")
        for group, values in run.metrics.items():
            table.add_row(group, *(format_value(name, values.get(name)) for name in COLUMNS))
        out.print(table)
