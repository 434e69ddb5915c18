"""The command line starts without the heavy libraries: each command loads what it uses."""

from __future__ import annotations

from collections.abc import Callable


def test_the_app_and_its_help_load_none_of_the_heavy_libraries(
    heavy_modules_after: Callable[[str], list[str]],
) -> None:
    assert heavy_modules_after("import eventgold.cli") == []
    help_ = (
        "from typer.testing import CliRunner\n"
        "from eventgold.cli import app\n"
        "assert CliRunner().invoke(app, ['--help']).exit_code == 0"
    )
    assert heavy_modules_after(help_) == []
