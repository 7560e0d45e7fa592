"""--help (issue 20): whole command summaries, and the exit codes scripts rely on."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from mirrorpub.cli.main import main

COMMANDS = ["build", "bundle", "init", "keygen", "publish", "serve", "status", "verify",
            "watch", "import", "import wordpress", "import hugo"]


def _help(*args: str) -> str:
    result = CliRunner().invoke(main, [*args, "--help"], terminal_width=80)
    assert result.exit_code == 0, result.output
    return result.output


def test_the_command_list_shows_every_summary_whole() -> None:
    text = _help()
    listing = text.split("Commands:", 1)[1].split("Exit codes:", 1)[0]
    assert "..." not in listing
    assert "write and push the\n           manifest." in listing
    assert "Exit codes: 0 success; 1 content, config or build error" in text


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_lists_the_exit_codes(command: str) -> None:
    text = " ".join(_help(*command.split()).split())
    assert "Exit codes: 0 success;" in text
    assert "2 usage error; 3 at least one mirror failed" in text
    assert "130 / 143 stopped by Ctrl-C / SIGTERM" in text
