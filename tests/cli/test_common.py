"""The CLI's shared error handling: expected failures are one line, never a traceback."""

from __future__ import annotations

import errno

import pytest
import typer

from eventgold.cli._common import user_errors


def test_a_full_disk_is_one_line_that_says_nothing_half_written_was_kept(capsys) -> None:
    with pytest.raises(typer.Exit) as done, user_errors():
        raise OSError(errno.ENOSPC, "No space left on device")
    assert done.value.exit_code == 1
    assert capsys.readouterr().err.strip() == (
        "error: No space left on device: free space or fix the disk, then run again (files are "
        "written atomically: nothing half-written was kept)"
    )


def test_an_os_error_about_no_path_and_no_device_keeps_its_traceback() -> None:
    with pytest.raises(OSError, match="bad file descriptor"), user_errors():
        raise OSError(errno.EBADF, "bad file descriptor")


def test_ctrl_c_is_one_line_with_exit_code_130(capsys) -> None:
    with pytest.raises(typer.Exit) as done, user_errors():
        raise KeyboardInterrupt
    assert done.value.exit_code == 130
    assert capsys.readouterr().err.startswith("error: interrupted: nothing half-written was kept")
