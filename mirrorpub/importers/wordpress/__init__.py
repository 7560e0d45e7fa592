"""`mirrorpub import wordpress EXPORT.xml` (SPEC §13): two passes over a WXR export.

    pass 1 (site.py): read the whole export (refusing malformed or hostile XML), note every
           post's permalink, name and attachments; plan each article's slug and path
    pass 2 (convert.py): convert each post and page, one at a time, into the staging
           folder (importers/writer.py); commit only when every one has been converted
"""

from __future__ import annotations

from pathlib import Path

from mirrorpub.importers.plan import SlugBook, existing_slugs
from mirrorpub.importers.report import ImportReport, Note
from mirrorpub.importers.wordpress.convert import convert
from mirrorpub.importers.wordpress.dates import SiteClock, parse_timezone
from mirrorpub.importers.wordpress.files import Uploads
from mirrorpub.importers.wordpress.site import SiteIndex, plan_paths, read_index
from mirrorpub.importers.wordpress.wxr import WxrReader
from mirrorpub.importers.writer import StagedWriter


def import_wordpress(export: Path, output: Path, *, uploads: Path | None = None,
                     force: bool = False, timezone: str | None = None,
                     shown_export: str | None = None,
                     shown_output: str | None = None) -> ImportReport:
    shown_export = shown_export or str(export)
    shown_output = shown_output or str(output)
    clock = SiteClock(parse_timezone(timezone) if timezone else None)
    site = read_index(export, shown_export, clock)
    plan_paths(site, SlugBook(existing_slugs(output)))
    report = ImportReport(source=shown_export, output=shown_output)
    report.notes.extend(site.notes)
    writer = StagedWriter(output, shown_output, force=force)
    try:
        _convert_all(site, export, shown_export, Uploads(uploads) if uploads else None,
                     writer, report)
        outcome = writer.commit()
    except BaseException:
        writer.abort()
        raise
    report.record(outcome)
    if site.comments:
        report.notes.append(Note(shown_export, f"{site.comments} comments",
                                 "not imported: mirrorpub sites have no comments"))
    return report


def _convert_all(site: SiteIndex, export: Path, shown_export: str, uploads: Uploads | None,
                 writer: StagedWriter, report: ImportReport) -> None:
    done: set[int] = set()
    for item in WxrReader(export, shown_export).items():
        entry = site.entries.get(item.post_id)
        if entry is None or item.post_id in done or item.post_type not in ("post", "page"):
            continue
        done.add(item.post_id)
        converted = convert(item, entry, site, uploads, f"{writer.label}/{entry.rel}")
        writer.add_article(entry.rel, converted.text)
        for rel, source in sorted(converted.files.items()):
            writer.add_file(rel, source)
        report.articles += 1
        report.drafts += entry.draft_reason is not None
        report.pages += entry.is_page
        report.files += len(converted.files)
        report.notes.extend(converted.notes)
