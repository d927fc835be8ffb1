"""`qa build | ask | chat | outline | serve | add | remove | eval`: the command line, a thin
adapter over Pipeline.

Heavy imports happen inside the commands, so `qa --help` is instant. qa errors become exit codes in
one place (`QAGroup.invoke`). Results go to stdout; logs and progress go to stderr. `serve` is in
qa/serve_command.py, `add` and `remove` in qa/library_commands.py; `ask --server` and
`chat --server` ask a running server (qa/remote.py).
"""

from __future__ import annotations

import importlib.util
import logging
import re
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from qa.errors import (
    BuildRunning,
    DuplicateDocument,
    IndexCorrupt,
    IndexMismatch,
    IndexMissing,
    InvalidQuestion,
    InvalidUpload,
    LastDocument,
    QAError,
    RejectedQuestion,
    RejectedRequest,
    ServerBusy,
    ServerUnreachable,
    Unauthorized,
    UnknownDocument,
    UnsafeIndexPath,
    UnsupportedType,
)
from qa.library_commands import add_command, remove_command
from qa.prompt import history_file, line_reader
from qa.remote import RemoteQA
from qa.render import Renderer
from qa.serve_command import serve_command

if TYPE_CHECKING:
    from qa.chat.service import ChatService
    from qa.pipeline import Mode, Pipeline
    from qa.schema import AskResponse
    from qa.settings import Settings

log = logging.getLogger(__name__)

MODES = ("hybrid", "dense", "bm25")  # qa.pipeline.MODES, repeated here to keep `qa --help` light

# Checked in order, so a subclass must come before its base; any other QAError exits 1.
_EXIT_CODE_BY_ERROR: tuple[tuple[type[QAError], int], ...] = (
    (InvalidQuestion, 2),
    (UnknownDocument, 2),
    (UnsafeIndexPath, 2),
    (InvalidUpload, 2),  # qa add / remove: refused, nothing changed
    (UnsupportedType, 2),
    (DuplicateDocument, 2),
    (LastDocument, 2),
    (RejectedQuestion, 2),  # --server: a 4xx (a 401 is Unauthorized), the server's message
    (RejectedRequest, 2),
    (Unauthorized, 2),
    (IndexMissing, 3),
    (IndexMismatch, 3),
    (IndexCorrupt, 3),
    (ServerUnreachable, 3),  # --server: nothing answers at the URL, or it is not one
    (BuildRunning, 4),
)


class QAGroup(click.Group):
    """Turns qa errors into a one-line message on stderr and an exit code: no traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except QAError as error:
            click.echo(f"error: {error}", err=True)
            ctx.exit(exit_code(error))


def exit_code(error: QAError) -> int:
    return next((code for cls, code in _EXIT_CODE_BY_ERROR if isinstance(error, cls)), 1)


@click.group(cls=QAGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--corpus",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of .txt/.md documents.  [default: QA_CORPUS_DIR or ./corpus]",
)
@click.option(
    "--index",
    "index_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of the built index.  [default: QA_INDEX_DIR or ./index/default]",
)
@click.option("-v", "--verbose", count=True, help="Log more on stderr (-v info, -vv debug).")
@click.pass_context
def main(ctx: click.Context, corpus: Path | None, index_dir: Path | None, verbose: int) -> None:
    """Ask questions of a folder of documents; get back the passages that answer them, cited.

    Settings come from QA_* environment variables (e.g. QA_EMBEDDER); --corpus and --index
    override the two folders.

    \b
    Examples:
      qa build                                # index ./corpus (once; rebuilt when it changes)
      qa ask "What is the SCO?"
      qa ask "What is the SCO?" --json | jq '.passages[0].text'
      qa chat                                 # ask one question after another
      qa --corpus ~/papers --index /tmp/papers-index serve --port 8080
    """
    _configure_logging(verbose)
    overrides = {"corpus_dir": corpus, "index_dir": index_dir}
    ctx.obj = {"settings": _settings({k: v for k, v in overrides.items() if v is not None})}


def _settings(overrides: dict[str, Any]) -> Settings:
    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    from qa.settings import Settings

    try:
        return Settings(**overrides)
    except (ValidationError, SettingsError, ValueError) as error:
        raise click.UsageError(f"invalid QA_* setting:\n{error}") from error


def _configure_logging(verbose: int) -> None:
    """Log to (the current) stderr; replaces the handler of an earlier call, e.g. in tests."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == __name__]:
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(__name__)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    # On the handler too: some libraries (bm25s) set their own loggers to DEBUG.
    level = logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING
    handler.setLevel(level)
    root.addHandler(handler)
    root.setLevel(level)


def _progress(message: str) -> None:
    click.echo(message, err=True)


def _open_pipeline(settings: Settings, *, lazy: bool = True) -> Pipeline:
    """Load the index, building it first (with progress on stderr) when there is none. The models
    load when a question first needs one, unless `lazy` is False."""
    from qa.pipeline import Pipeline

    return Pipeline.open(settings, progress=_progress, lazy=lazy, enrich=False)


k_option = click.option(
    "-k", "k", type=int, default=5, show_default=True, help="Passages to return (1..50)."
)
mode_option = click.option(
    "--mode",
    type=click.Choice(MODES),
    default="hybrid",
    show_default=True,
    help="Retrieval: dense + BM25 fused, or either alone.",
)
server_option = click.option(
    "--server",
    metavar="URL",
    envvar="QA_SERVER",
    show_envvar=True,
    help="Ask the `qa serve` at URL instead of loading the index and models here (sending "
    "QA_API_KEY, when set, as its key).",
)


@main.command()
@click.option(
    "--force",
    is_flag=True,
    help="Rebuild from scratch, embedding every text again, even when the index is up to date.",
)
@click.option(
    "--enrich",
    is_flag=True,
    help="Also embed with the second model (QA_SECOND_EMBEDDER) now, rather than leaving it to "
    "`qa serve`, which adds it in the background.",
)
@click.pass_obj
def build(obj: dict[str, Any], force: bool, enrich: bool) -> None:
    """Build the index of the corpus, unless it is already up to date.

    Text the current index already embeds (unchanged documents) keeps its vectors, so adding a
    document embeds only that document. --force re-embeds everything, e.g. after upgrading a
    model package. The second model (multilingual-e5-small by default) embeds ten times slower
    than the first: it is left out unless --enrich, and `qa serve` adds it in the background
    while answering with the rest.

    \b
    Examples:
      qa build
      qa build --force
      qa build --enrich
      qa --corpus ~/papers --index /tmp/papers-index build
    """
    from qa.index.build import build_index
    from qa.index.embedder import LazyEmbedder
    from qa.index.manifest import second_model
    from qa.progress_display import build_progress

    settings: Settings = obj["settings"]
    progress = build_progress()
    try:  # the models load only if something needs embedding
        result = build_index(
            settings,
            LazyEmbedder(settings.embedder),
            force=force,
            progress=progress,
            enrich=enrich,
        )
    finally:
        progress.close()
    if result.built:
        skipped = f"; skipped {len(result.skipped)} (see above)" if result.skipped else ""
        click.echo(
            f"built {result.chunks} chunks from {result.documents} documents "
            f"in {result.seconds:.1f} s{skipped}"
        )
    else:
        click.echo(f"index up to date ({result.chunks} chunks)")
    wanted = second_model(settings)
    if wanted and result.second_embedder != wanted:
        click.echo(
            f"note: the index has no {wanted} vectors yet; `qa serve` adds them in the "
            "background, `qa build --enrich` now",
            err=True,
        )


def _date_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A --since/--until date as the API takes it, checked before anything loads."""
    if value is not None and not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", value):
        raise click.BadParameter(f"use YYYY, YYYY-MM or YYYY-MM-DD, not {value!r}")
    return value


def filter_options(command: Callable[..., None]) -> Callable[..., None]:
    """--doc, --author, --since, --until: the API's `filters`, applied before ranking."""
    options = (
        click.option("--doc", "docs", multiple=True, metavar="ID", help="Only this document "
                     "(repeatable)."),
        click.option("--author", "authors", multiple=True, metavar="NAME", help="Only this "
                     "author's passages, or part of a name (repeatable: any of them)."),
        click.option("--since", metavar="DATE", callback=_date_option, help="Only documents "
                     "dated DATE or later (YYYY, YYYY-MM or YYYY-MM-DD)."),
        click.option("--until", metavar="DATE", callback=_date_option, help="Only documents "
                     "dated DATE or earlier."),
    )  # fmt: skip
    for option in reversed(options):
        command = option(command)
    return command


def _filters(docs: tuple[str, ...], authors: tuple[str, ...], since: str | None,
             until: str | None) -> dict[str, Any]:  # fmt: skip
    """The filters the options give, as the API's `filters` object (empty: none)."""
    given = {"doc_ids": list(docs), "authors": list(authors), "date_from": since, "date_to": until}
    return {name: value for name, value in given.items() if value}


@main.command(short_help="Find the passages that answer a question.")
@click.argument("question")
@k_option
@mode_option
@filter_options
@click.option("--json", "as_json", is_flag=True, help="Print the HTTP API's JSON response.")
@server_option
@click.pass_obj
def ask(
    obj: dict[str, Any],
    question: str,
    k: int,
    mode: Mode,
    as_json: bool,
    server: str | None,
    **filter_values: Any,
) -> None:
    """Rank the passages that answer QUESTION, each cited as doc_id [start:end].

    With --server URL (or QA_SERVER) the `qa serve` there answers instead: nothing loads here,
    and the output is the same.

    \b
    Examples:
      qa ask "What is the SCO?"
      qa ask "Who met in Vladivostok?" -k 3 --mode bm25
      qa ask "What is the SCO?" --author "Yu Bin" --since 2015
      qa ask "What is the SCO?" --json | jq -r '.passages[] | .chunk_id'
      qa ask --server http://127.0.0.1:8000 "What is the SCO?"
    """
    if server is None:
        from qa.pipeline import validate_question

        validate_question(question, k, mode, obj["settings"])  # before loading anything
    answer = _answerer(obj, server, k, mode, _filters(**filter_values))
    response = answer(question)
    if as_json:
        click.echo(response.model_dump_json(indent=2))
    else:
        Renderer().answer(response)


@main.command()
@k_option
@mode_option
@filter_options
@server_option
@click.option(
    "--log",
    "log_path",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Append each question and its cited answer to FILE as JSON lines.",
)
@click.pass_obj
def chat(
    obj: dict[str, Any],
    k: int,
    mode: Mode,
    server: str | None,
    log_path: Path | None,
    **filter_values: Any,
) -> None:
    """Ask questions one after another; `:quit`, `quit` or Ctrl-D leaves, `:help` lists the
    commands (`:open N`, `:more`, `:k N`, `:doc`, `:author`, `:since`, `:clear`, `:docs`,
    `:outline`, `:save FILE`).

    A follow-up ("what about India?", "why?") is searched with the question before it, and the
    screen says what was searched; "who wrote that?" is answered from the last citation. Ctrl-C
    cancels a question being answered. Line history is kept in $XDG_STATE_HOME/qa (or
    ~/.local/state/qa). Reads lines from stdin when it is not a terminal, so questions can be
    piped in. With --server URL (or QA_SERVER) the `qa serve` there answers, so chat starts at
    once.

    \b
    Examples:
      qa chat
      qa chat -k 3 --log ~/notes/arctic.jsonl
      printf 'What is the SCO?\\nwho wrote that?\\n' | qa chat
      qa chat --server http://127.0.0.1:8000
    """
    from qa.chat.output import ChatOutput
    from qa.chat.session import ChatSession

    session = ChatSession(
        _chat_service(obj, server, k, mode),
        ChatOutput(),
        k=k,
        mode=mode,
        filters=_filters(**filter_values),
        log=log_path,
    )
    read_line = line_reader(history_file())
    click.echo("Ask a question; :help lists the commands, :quit or Ctrl-D leaves.", err=True)
    while (line := read_line()) is not None:
        if line.strip().lower() in {"quit", "exit"}:
            break
        try:
            if not session.handle(line):
                break
        except KeyboardInterrupt:  # Ctrl-C while answering: that question only
            session.out.note("(cancelled)")
        except (InvalidQuestion, RejectedQuestion, ServerBusy) as error:  # the next may do
            click.echo(f"error: {error}", err=True)


def _chat_service(obj: dict[str, Any], server: str | None, k: int, mode: Mode) -> ChatService:
    """What the chat asks: the server at `server` (checked to answer), or the pipeline here."""
    from qa.chat.service import LocalService, RemoteService

    if server is not None:
        key = obj["settings"].api_key
        remote = RemoteQA(server, api_key=None if key is None else key.get_secret_value())
        click.get_current_context().with_resource(remote).check()
        return RemoteService(remote)
    from qa.pipeline import validate_options

    validate_options(k, mode, obj["settings"])  # a bad -k would refuse every question
    return LocalService(_open_pipeline(obj["settings"]))


def _answerer(
    obj: dict[str, Any], server: str | None, k: int, mode: Mode, filters: dict[str, Any]
) -> Callable[[str], AskResponse]:
    """What answers `qa ask`'s question: the chat's service (a server, or the pipeline here)."""
    service = _chat_service(obj, server, k, mode)
    return partial(service.ask, k=k, mode=mode, filters=filters)


@main.command(short_help="Print a document's headings with offsets.")
@click.argument("doc_id")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON of GET /documents/DOC_ID.")
@click.pass_obj
def outline(obj: dict[str, Any], doc_id: str, as_json: bool) -> None:
    """Print the headings of DOC_ID (a file name) with [start:end] offsets.

    \b
    Examples:
      qa outline 004_627bfeb04ce04ddc.txt
      qa outline 004_627bfeb04ce04ddc.txt --json | jq '.outline[].heading'
    """
    from qa.pipeline import find_document, open_index
    from qa.schema import DocumentDetail

    store = open_index(obj["settings"], progress=_progress)  # the documents only: no model
    detail = DocumentDetail.from_info(find_document(store.documents, doc_id))
    if as_json:
        click.echo(detail.model_dump_json(indent=2))
        return
    click.echo(f"{detail.title} ({detail.doc_id})")
    top = min((entry.level for entry in detail.outline), default=1)
    for entry in detail.outline:
        indent = "  " * (entry.level - top + 1)
        note = "  (boilerplate, not indexed)" if entry.boilerplate else ""
        click.echo(f"{indent}{entry.heading}  [{entry.start}:{entry.end}]{note}")


main.add_command(serve_command, name="serve")
main.add_command(add_command, name="add")
main.add_command(remove_command, name="remove")

if importlib.util.find_spec("qa.evaluation.cli") is not None:
    from qa.evaluation.cli import eval_command

    main.add_command(eval_command, name="eval")


if __name__ == "__main__":
    main()
