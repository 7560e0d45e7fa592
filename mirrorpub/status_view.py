"""How `mirrorpub status` looks: a rich table on a terminal, plain lines otherwise.

CLI layer only (the one place status output meets rich). Below the table, every copy
that is not fine gets its problems and the files concerned, by path.
"""

from __future__ import annotations

from typing import Any

from mirrorpub import console
from mirrorpub.verify import age_text

_STYLE = {"ok": "green", "stale": "yellow", "broken": "bold red", "unreachable": "bold red",
          "refused": "bold red", "unpublished": "yellow"}
MAX_FILES_SHOWN = 20
MAX_LOCAL_DIFF_SHOWN = 5


def print_status(report: Any) -> None:
    published = f" at {report.published_at}" if report.published_at else ""
    _say(f"site: {report.site}; last published version {report.version}{published}")
    if console.stdout_is_terminal():
        console.out().print(_table(report))
    else:
        rows = [_row(copy) for copy in report.copies]
        widths = [max(len(row[i]) for row in rows) for i in range(4)] if rows else []
        for row in rows:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            _say("  ".join([*cells, row[-1]]))
    for copy in report.copies:
        for line in _details(copy):
            _say(line)
    for note in report.notes:
        _say(f"note: {note}")
    good = sum(c.ok for c in report.copies)
    _say(f"{good} of {len(report.copies)} copies current and intact")


def _say(text: str) -> None:
    console.say(text)  # text that came from copies: shown as is


def _row(copy: Any) -> list[str]:
    version = "-" if copy.version is None else f"v{copy.version}"
    if copy.version is not None and copy.expected_version not in (None, copy.version):
        version += f" (current v{copy.expected_version})"
    age = "-" if copy.age_seconds is None else _age(copy.age_seconds)
    return [copy.mirror, copy.state.upper() if not copy.ok else "ok", version, age,
            copy.url or "-"]


def _age(seconds: int) -> str:
    from datetime import timedelta

    return age_text(timedelta(seconds=seconds))


def _table(report: Any) -> Any:
    from rich.table import Table
    from rich.text import Text

    table = Table(show_header=True, header_style="bold")
    for column in ("mirror", "state", "version", "published", "url"):
        table.add_column(column, overflow="fold")
    for copy in report.copies:
        cells = _row(copy)
        cells[1] = Text(cells[1], style=_STYLE.get(copy.state, ""))
        table.add_row(*[c if isinstance(c, Text) else Text(c) for c in cells])
    return table


def _details(copy: Any) -> list[str]:
    lines = []
    where = f"{copy.mirror} ({copy.url})" if copy.url else copy.mirror
    for problem in copy.problems:
        lines.append(f"{where}: {problem}")
    for bad in copy.bad_files[:MAX_FILES_SHOWN]:
        lines.append(f"  {bad.path}: {bad.problem}")
    if len(copy.bad_files) > MAX_FILES_SHOWN:
        lines.append(f"  … and {len(copy.bad_files) - MAX_FILES_SHOWN} more (see --json)")
    if copy.local_diff:
        shown = ", ".join(p.path for p in copy.local_diff[:MAX_LOCAL_DIFF_SHOWN])
        more = len(copy.local_diff) - MAX_LOCAL_DIFF_SHOWN
        lines.append(f"{where}: {len(copy.local_diff)} files differ from the local build "
                     f"(unpublished changes?): {shown}{' …' if more > 0 else ''}")
    for note in copy.notes:
        lines.append(f"{where}: note: {note}")
    return lines
