"""Schemathesis over the app's own OpenAPI spec: requests that follow it and requests that break
it (wrong types, out-of-range numbers, odd strings, missing fields) must never get a 5xx, a status
the spec does not list, or a body that does not match it. All of schemathesis's checks run, on
every operation, with a bounded number of examples each."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir
from schemathesis.specs.openapi.checks import positive_data_acceptance

from qa.api import create_app
from qa.settings import Settings


class TinyPipeline:
    """Stands in for the session's tiny pipeline, which the fixture below hands it.

    Schemathesis builds one test per operation from the spec when this module is imported,
    before fixtures exist, so the app must exist then. (Its lazy `from_fixture` loader would
    wait for a fixture, but it reads `Function._nodeid`, which pytest 9 removed.)
    """

    pipeline: Any = None

    def __getattr__(self, name: str) -> Any:
        if self.pipeline is None:
            raise RuntimeError("the tiny_pipeline fixture has not run")
        return getattr(self.pipeline, name)


# Hypothesis's caches (constants, Unicode tables) go to a temporary folder, not the working tree.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "qa-hypothesis")
stand_in = TinyPipeline()
WRITES = {"method": ["POST", "DELETE"], "path_regex": "^/documents"}
schema = schemathesis.openapi.from_asgi(
    "/openapi.json", create_app(Settings(), pipeline=stand_in)
).exclude(**WRITES)
# A body over the size limit is rejected with a (documented) 413 before it is read, whatever it
# holds: for negative data that is a rejection like a 422.
rejections = schema.config.checks.negative_data_rejection
rejections.expected_statuses = [*(rejections.expected_statuses or []), "413"]
# The write routes change a corpus: their own app, over a throwaway copy of the tiny corpus.
write_stand_in = TinyPipeline()
write_schema = schemathesis.openapi.from_asgi(
    "/openapi.json", create_app(Settings(), pipeline=write_stand_in)
).include(**WRITES)


@pytest.fixture(autouse=True)
def serve_the_tiny_pipeline(tiny_pipeline) -> None:
    stand_in.pipeline = tiny_pipeline


@schema.parametrize()
# No example database: each run stands alone (no replay of an earlier run's failures).
@settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_no_request_gets_a_server_error_or_a_status_the_spec_does_not_list(
    case: schemathesis.Case,
) -> None:
    case.call_and_validate()


@pytest.fixture(scope="module")
def writable_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from qa.pipeline import Pipeline
    from tests.conftest import BRIDGES, PONDS, small_corpus_settings

    settings = small_corpus_settings(
        tmp_path_factory.mktemp("fuzz-writes"), {"ponds.txt": PONDS, "bridges.txt": BRIDGES}
    )
    return Pipeline.open(settings)


@write_schema.parametrize()
@settings(max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_no_upload_or_delete_gets_a_server_error_or_a_status_the_spec_does_not_list(
    case: schemathesis.Case, writable_pipeline: Any
) -> None:
    """Every check but "a schema-valid request is accepted": a well-formed upload may still be
    refused (an unsupported type, a duplicate), with a status the spec lists."""
    write_stand_in.pipeline = writable_pipeline
    case.call_and_validate(excluded_checks=[positive_data_acceptance])
