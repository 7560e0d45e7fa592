"""The command line: click parses, mirrorpub.commands does, views and console print.

    main.py      the click commands, and the one place errors become exit codes
    console.py   messages and progress on a terminal (rich) or as plain lines
    views.py     how each command's result reads
    logs.py      log lines for journald and CI (optionally JSON)
"""

from mirrorpub.cli.main import main, run

__all__ = ["main", "run"]
