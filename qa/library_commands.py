"""`qa add FILE...` and `qa remove DOC_ID...`: change the library and rebuild the index.

The changes themselves are qa/library.py's; a running `qa serve` picks the rebuilt index up
within seconds, as after any `qa build`. Errors become exit codes in qa/cli.py's QAGroup.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from qa.library import LibraryChange
    from qa.settings import Settings


@click.command("add")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--to",
    "folder",
    default="",
    metavar="SUBFOLDER",
    help="Store the files in this subfolder of the corpus (made if missing), e.g. reports/2024.",
)
@click.pass_obj
def add_command(obj: dict[str, Any], files: tuple[Path, ...], folder: str) -> None:
    """Copy FILES into the corpus and index them (.pdf, .html, .htm, .docx, .md, .txt).

    All files are checked first (type, size, name, not already in the corpus, readable); if one
    is refused, nothing is added. Unchanged documents keep their vectors, so only the new files
    are embedded. The originals are left where they are.

    \b
    Examples:
      qa add ~/Downloads/report.pdf
      qa add notes/*.md --to notes
    """
    from qa.library import NewFile, add_documents

    settings: Settings = obj["settings"]
    new = [NewFile(path.name, path.read_bytes()) for path in files]
    change = _apply(
        settings,
        lambda embedder, progress: add_documents(
            settings, embedder, new, folder=folder, progress=progress
        ),
    )
    for document in change.added:
        by = f" by {', '.join(document.authors)}" if document.authors else ""
        click.echo(f"added {document.doc_id}: {document.title}{by}")
    _summary(change)


@click.command("remove")
@click.argument("doc_ids", nargs=-1, required=True, metavar="DOC_ID...")
@click.pass_obj
def remove_command(obj: dict[str, Any], doc_ids: tuple[str, ...]) -> None:
    """Take documents out of the corpus and the index.

    Each file is moved into the corpus folder's hidden .qa-removed/ folder (printed), not
    deleted: delete it there when you are sure. If one id is unknown, nothing is removed.

    \b
    Examples:
      qa remove reports/2024/draft.pdf
    """
    from qa.library import remove_documents

    settings: Settings = obj["settings"]
    change = _apply(
        settings,
        lambda embedder, progress: remove_documents(settings, embedder, doc_ids, progress=progress),
    )
    for doc_id, kept in zip(change.removed, change.kept_at, strict=True):
        click.echo(f"removed {doc_id} (the file is kept at {kept})")
    _summary(change)


def _apply(settings: Settings, change: Any) -> LibraryChange:
    """Run `change(embedder, progress)`, progress on stderr; the model loads only if needed."""
    from qa.index.embedder import LazyEmbedder
    from qa.progress_display import build_progress

    progress = build_progress()
    try:
        done: LibraryChange = change(LazyEmbedder(settings.embedder), progress)
    finally:
        progress.close()
    return done


def _summary(change: LibraryChange) -> None:
    build = change.build
    click.echo(
        f"index: {build.documents} documents, {build.chunks} chunks "
        f"(rebuilt in {build.seconds:.1f} s)"
    )
