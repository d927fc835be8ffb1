"""`qa serve`: the HTTP API on uvicorn, with the index loaded and the models warmed first.

Added to the `qa` group at the bottom of qa/cli.py. uvicorn, the app and the pipeline are imported
inside the command, so `qa --help` stays instant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from qa.settings import Settings


@click.command("serve", short_help="Serve the HTTP API (docs at /docs).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=8000,
    envvar="PORT",
    show_default=True,
    show_envvar=True,
    help="Port to listen on.",
)
@click.pass_obj
def serve_command(obj: dict[str, Any], host: str, port: int) -> None:
    """Serve the HTTP API: POST /ask, GET /documents, GET /health, docs at /docs.

    The index is loaded (or built) and the models warmed before the server starts, so errors show
    here and the first question does not wait. Limits come from QA_* settings: QA_MAX_BODY_BYTES,
    QA_MAX_QUESTION_CHARS, QA_MAX_K, QA_MAX_WAITING (questions queued; beyond, a 503),
    QA_MAX_CONNECTIONS, QA_HEADER_TIMEOUT_S (to receive a request), QA_KEEP_ALIVE_TIMEOUT_S.
    QA_API_KEY makes every route but /health and the docs require `Authorization: Bearer KEY`;
    QA_CORS_ORIGINS (comma-separated) allows those browser origins.

    A rebuilt index (`qa build` in another terminal) is served within QA_RELOAD_INTERVAL_S
    seconds (2) without a restart; SIGHUP or POST /admin/reload reloads at once. /health says
    "degraded" when the index cannot answer and `stale` when the corpus changed since its build.

    \b
    Examples:
      qa serve
      QA_API_KEY=$(openssl rand -hex 16) PORT=9000 qa serve --host 0.0.0.0
      curl -s localhost:8000/ask -H 'content-type: application/json' \\
           -d '{"question": "What is the SCO?", "k": 3}'
    """
    import uvicorn

    from qa.api import create_app
    from qa.http.server import is_loopback, server_options
    from qa.pipeline import Pipeline

    settings: Settings = obj["settings"]
    if settings.api_key is None and not is_loopback(host):
        click.echo(
            f"warning: serving on {host} without an API key: anyone who can reach this port can "
            "ask questions and read the documents. Set QA_API_KEY to require "
            "`Authorization: Bearer KEY`.",
            err=True,
        )
    # The index loads (built first, with progress on stderr, when there is none) and the models
    # load and warm now, so the first HTTP question does not wait for them.
    pipeline = Pipeline.open(settings, progress=_progress, lazy=False, enrich=False)
    app = create_app(settings, pipeline=pipeline, host=host)
    uvicorn.run(app, host=host, port=port, **server_options(settings))


def _progress(message: str) -> None:
    click.echo(message, err=True)
