"""`mirrorpub import wordpress|hugo|jekyll …` (SPEC §13): bring an existing archive into
the content folder. (`import` is a keyword, hence the name.)"""

from __future__ import annotations

from pathlib import Path

from mirrorpub.importers.report import ImportReport


def import_wordpress(export: str, output: str, *, uploads: str | None, force: bool,
                     timezone: str | None) -> ImportReport:
    from mirrorpub.importers.wordpress import import_wordpress as run

    return run(Path(export), Path(output), uploads=Path(uploads) if uploads else None,
               force=force, timezone=timezone, shown_export=export, shown_output=output)


def import_hugo(source: str, output: str, *, force: bool) -> ImportReport:
    from mirrorpub.importers.hugo import import_hugo as run

    return run(Path(source), Path(output), force=force, shown_source=source,
               shown_output=output)


def import_jekyll(source: str, output: str, *, force: bool) -> ImportReport:
    from mirrorpub.importers.jekyll import import_jekyll as run

    return run(Path(source), Path(output), force=force, shown_source=source,
               shown_output=output)
