"""The `eventgold` program loads only the command it runs (`eventgold.cli.commands_for`)."""

from __future__ import annotations

import json
import subprocess
import sys


def _loaded_after(argv: list[str]) -> set[str]:
    """The command modules a fresh process has imported once `commands_for(argv)` returns."""
    code = (
        "import json, sys\n"
        "from eventgold.cli import commands_for\n"
        f"commands_for({argv!r})\n"
        "print(json.dumps(sorted(m.split('.')[-1] for m in sys.modules\n"
        "    if m.startswith('eventgold.cli.') and not m.split('.')[-1].startswith('_'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout))


def test_a_command_loads_its_own_module_only() -> None:
    assert _loaded_after(["schema", "show"]) == {"schema"}
    assert _loaded_after(["eval", "--help"]) == {"eval"}


def test_help_and_unknown_commands_load_every_command() -> None:
    every = _loaded_after(["--help"])
    assert {"eval", "push", "pull", "schema", "users"} <= every
    assert _loaded_after(["nosuch"]) == every == _loaded_after([])


def test_the_program_runs_a_command_of_a_group_and_a_lone_command() -> None:
    # A lone command module must not make the app that command itself (typer's single-command
    # mode): the command's name stays its first argument.
    program = [sys.executable, "-c", "from eventgold.cli import main; main()"]
    checked = subprocess.run([*program, "schema", "check"], capture_output=True, text=True)
    assert checked.returncode == 0 and "ok: conflict_events" in checked.stdout
    helped = subprocess.run([*program, "eval", "--help"], capture_output=True, text=True)
    assert helped.returncode == 0 and "Score a prediction file" in helped.stdout
