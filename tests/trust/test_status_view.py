"""How status looks: a table on a terminal, aligned plain lines elsewhere, problems by path."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from mirrorpub.cli import console, views
from mirrorpub.model import CopyState
from mirrorpub.read.status import CopyStatus, StatusReport
from mirrorpub.read.verify import FileProblem


def report() -> StatusReport:
    good = CopyStatus("aws-frankfurt", "s3", "https://s3.example/news/", 5, version=5,
                      age_seconds=3700, signature="valid")
    bad = CopyStatus("b2", "s3", "https://b2.example/news/", 5, version=4, age_seconds=90000)
    bad.fail(CopyState.STALE, "serves version 4, the current one is 5: publish again to update it")
    bad.fail(CopyState.BROKEN, "1 file missing, altered or not in the copy's own manifest")
    bad.bad_files.append(FileProblem("articles/a.html", "content differs from the manifest"))
    return StatusReport(site="Kloop", version=5, published_at="2026-11-28T10:00:00Z",
                        checked_at="2026-11-28T11:00:00Z", copies=[good, bad])


def render(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
           terminal: bool) -> str:
    """What stdout shows: the lines, and the table drawn on a terminal of 120 columns."""
    table = io.StringIO()
    screen = Console(file=table, force_terminal=True, width=120, soft_wrap=True,
                     color_system=None)
    monkeypatch.setattr(views, "rich_stdout", lambda: screen)
    monkeypatch.setattr(views, "stdout_is_terminal", lambda: terminal)
    views.print_status(console.Console(), report())
    return capsys.readouterr().out + table.getvalue()


def test_plain_output_names_each_copy_state_and_bad_file(monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]):
    text = render(monkeypatch, capsys, terminal=False)
    lines = text.splitlines()
    assert lines[0] == "site: Kloop; last published version 5 at 2026-11-28T10:00:00Z"
    assert lines[1].split() == ["aws-frankfurt", "ok", "v5", "1", "h", "1", "min", "ago",
                                "https://s3.example/news/"]
    assert lines[2].split()[:4] == ["b2", "BROKEN", "v4", "(current"]
    assert lines[1].index("https://") == lines[2].index("https://")  # aligned columns
    assert "  articles/a.html: content differs from the manifest" in lines
    assert "b2 (https://b2.example/news/): serves version 4, the current one is 5" in text
    assert lines[-1] == "1 of 2 copies current and intact"


def test_a_terminal_gets_a_table(monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]):
    text = render(monkeypatch, capsys, terminal=True)
    assert "┃ mirror " in text
    rows = [line for line in text.splitlines() if line.startswith("│")]
    assert [row.split("│")[1].strip() for row in rows] == ["aws-frankfurt", "b2"]
    assert "BROKEN" in rows[1] and "v4 (current v5)" in rows[1]
    assert "articles/a.html: content differs" in text


def test_the_worst_state_wins():
    copy = CopyStatus("m", "s3", "u", 2)
    copy.fail(CopyState.BROKEN, "x")
    copy.fail(CopyState.STALE, "y")
    assert copy.state == "broken" and copy.problems == ["x", "y"]
    copy.fail(CopyState.UNREACHABLE, "z")
    assert copy.state == "unreachable"
    assert report().exit_code == 3
