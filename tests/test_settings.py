"""QA_* settings read as a user would write them."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from qa.cli import main
from qa.settings import Settings


@pytest.mark.parametrize(
    "value", ["https://a.example,https://b.example", ' ["https://a.example", "https://b.example"]']
)
def test_cors_origins_take_a_comma_separated_or_a_json_list(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QA_CORS_ORIGINS", value)
    assert Settings().cors_origins == ("https://a.example", "https://b.example")


def test_a_malformed_setting_is_a_usage_error_naming_it_not_a_traceback() -> None:
    result = CliRunner().invoke(main, ["build"], env={"QA_CORS_ORIGINS": "[not json"})
    assert result.exit_code == 2
    assert "invalid QA_* setting" in result.output and "cors_origins" in result.output
    assert "Traceback" not in result.output
