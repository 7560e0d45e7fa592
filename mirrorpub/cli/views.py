"""How each command's result reads: the publish summary, the status table (rich on a
terminal, plain lines otherwise), the verify report. CLI layer only.

Text that came from a copy (titles, URLs) is shown as is, with control characters
replaced, so a hostile copy cannot drive the reader's terminal.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from mirrorpub.cli.console import Console, rich_stdout, stdout_is_terminal
from mirrorpub.formats import human_bytes, parse_iso


def local(text: str, site: Path | None) -> str:
    """Local paths as the editor reads them: inside the site folder relative to it, else
    under the home folder as ~/…; an output pasted into a bug report or a chat then names
    no user (SPEC: no local paths in output)."""
    if site is not None and str(site) != os.sep:
        text = text.replace(str(site) + os.sep, "").replace(str(site), ".")
    home = os.path.expanduser("~")
    if home not in ("", os.sep, "~"):
        text = text.replace(home + os.sep, "~" + os.sep)
    return text


def print_build(out: Console, result: Any, site: Path | None = None) -> None:
    out.info(local(f"built {len(result.files)} files, {len(result.entries)} articles into "
                   f"{result.output_dir} ({result.rendered} rendered, {result.reused} "
                   "unchanged)", site))


def print_import(out: Console, report: Any) -> None:
    """What an import wrote, then one line per thing it could not carry over."""
    out.say(f"imported {report.articles} articles ({report.drafts} drafts, {report.pages} "
            f"pages) and {report.files} files from {report.source} into {report.output}: "
            f"{report.written} written, {report.unchanged} unchanged, {report.replaced} "
            f"replaced, {len(report.kept)} left alone")
    for path in report.kept:
        out.say(f"{path}: left alone: it differs from what the import would write "
                "(--force replaces it)")
    for note in report.notes:
        out.say(printable(note.line()))
    if report.notes:
        out.say(f"{len(report.notes)} things could not be carried over as they were "
                "(listed above)")


def bundle_line(result: Any) -> str:
    return (f"wrote {result.path} ({human_bytes(result.size)}, {result.files} files; it "
            f"unzips into {result.folder}/ beside README.txt)")


def car_line(result: Any) -> str:
    return (f"wrote {result.path} ({human_bytes(result.size)}): the IPFS copy of mirror "
            f"{result.mirror}, root {result.root}")


UNSIGNED_NOTE = ("note: the manifest is not signed, so readers cannot check that a copy is "
                 "genuine; create a key with `mirrorpub keygen` and set site.signing_key "
                 "(or MIRRORPUB_SIGNING_KEY)")


def print_publish(out: Console, report: Any) -> None:
    if not report.signed:
        out.info(UNSIGNED_NOTE)
    if report.dry_run:
        for mirror in report.mirrors:
            out.say(f"{mirror.name}: {mirror.error or mirror.plan}")
            for line in mirror.plan_lines:
                out.say(f"  {line}")
        out.info("dry run: nothing was sent")
        return
    for mirror in report.mirrors:
        o = mirror.outcome
        if mirror.ok and out.quiet:
            pass  # -q: only what went wrong
        elif mirror.ok:
            facts = " ".join(f"{k}={v}" for k, v in sorted(o.facts.items()) if k == "cid")
            out.say(
                f"{mirror.name}: ok in {mirror.seconds:.1f} s: {o.uploaded} sent "
                f"({human_bytes(o.bytes_sent)}), {o.deleted} deleted, "
                f"{o.requests} requests {facts}".rstrip())
        else:
            out.error(f"{mirror.name}: FAILED after {mirror.seconds:.1f} s: {mirror.error}")
        for warning in o.warnings:
            out.warn(f"{mirror.name}: {warning}")
        if o.problem:
            out.error(f"{mirror.name}: {o.problem}")
    for note in report.notes:
        out.warn(note)
    state = "new version" if report.changed else "nothing changed; version stays"
    out.info(f"manifest: {state} {report.version}")


_STYLE = {"ok": "green", "stale": "yellow", "broken": "bold red", "unreachable": "bold red",
          "refused": "bold red", "unpublished": "yellow"}
MAX_FILES_SHOWN = 20
MAX_LOCAL_DIFF_SHOWN = 5


def print_status(out: Console, report: Any, site: Path | None = None) -> None:
    published = f" at {report.published_at}" if report.published_at else ""

    def say(line: str) -> None:
        out.say(local(line, site))

    say(f"site: {report.site}; last published version {report.version}{published}")
    if stdout_is_terminal():
        rich_stdout().print(_table(report, site))
    else:
        rows = [[local(cell, site) for cell in _row(copy)] for copy in report.copies]
        widths = [max(len(row[i]) for row in rows) for i in range(4)] if rows else []
        for row in rows:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            say("  ".join([*cells, row[-1]]))
    for copy in report.copies:
        for line in _details(copy):
            say(line)
    for note in report.notes:
        say(f"note: {note}")
    good = sum(c.ok for c in report.copies)
    say(f"{good} of {len(report.copies)} copies current and intact")



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


def _table(report: Any, site: Path | None) -> Any:
    from rich.table import Table
    from rich.text import Text

    table = Table(show_header=True, header_style="bold")
    for column in ("mirror", "state", "version", "published", "url"):
        table.add_column(column, overflow="fold")
    for copy in report.copies:
        cells = [local(cell, site) for cell in _row(copy)]
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


def printable(text: str) -> str:
    """Text from a copy, safe for a terminal: control characters (escapes) shown as '?'."""
    return "".join("?" if unicodedata.category(c) == "Cc" else c for c in text)


def print_verify(out: Console, result: Any, here: Path | None = None) -> None:
    """`here`: the folder verify ran in; a folder copy is named relative to it."""
    for line in verify_lines(result):  # text from the copy: made printable there
        out.say(local(line, here))


def verify_lines(result: Any) -> list[str]:
    out = [f"copy: {printable(result.url)}"]
    doc = result.manifest
    if doc is not None:
        out.append(f"site: {printable(doc['site']['title'])} ({doc['site']['language']}), version "
                   f"{doc['version']}, published {doc['published_at']}"
                   f" ({age_text(result.now - parse_iso(doc['published_at']))}), "
                   f"valid until {doc['expires_at']}")
        out.append(_signature_line(result))
        bad = len(result.bad_files)
        out.append(f"files: {result.files_checked} checked, "
                   + (f"{bad} bad" if bad else "all intact")
                   + (f", {len(result.extra_files)} not in the manifest"
                      if result.extra_files else ""))
        out += [f"  {p.path}: {p.problem}" for p in result.bad_files]
        out += [f"  {path}: not in the manifest (not part of the site; do not trust it)"
                for path in result.extra_files]
    out += [f"problem: {text}" for text in result.problems]
    out += [f"note: {text}" for text in result.notes]
    out += _other_copies(result.other_copies)  # none unless the signature is valid
    failures = len(result.problems) + len(result.bad_files) + len(result.extra_files)
    if result.ok:
        verdict = "genuine, fresh and complete" if result.signature == "valid" else \
            "fresh and complete, but UNAUTHENTICATED (no --key)"
        out.append(f"OK: this copy is {verdict}")
    else:
        out.append(f"FAILED: {failures} problem{'s' if failures != 1 else ''}; do not trust "
                   "this copy as it is")
    return out


def _signature_line(result: Any) -> str:
    if result.root_fingerprint:
        signer = f"key fingerprint {result.fingerprint}" if result.fingerprint else "no key"
        return (f"signature: {'valid' if result.signature == 'valid' else 'NOT TRUSTED'}, "
                f"{signer}, under root {result.root_fingerprint}"
                + (f" (keys.json version {result.keys_version})"
                   if result.keys_version is not None else ""))
    return {
        "valid": f"signature: valid, key fingerprint {result.fingerprint}",
        "invalid": f"signature: INVALID for key fingerprint {result.fingerprint}",
        "missing": "signature: MISSING (mirrors.json.sig not found)",
    }.get(result.signature, "signature: not checked (no --key)")


def _other_copies(active: list[Mapping[str, Any]]) -> list[str]:
    if not active:
        return []
    return ["other copies listed in the signed manifest:"] + [
        f"  {printable(m['name'])}: {printable(m['url'])}" for m in active]


def age_text(delta: timedelta) -> str:
    """'3 d 4 h ago', '2 h 5 min ago', '40 s ago' — how long ago, for people."""
    seconds = int(delta.total_seconds())
    if seconds < 0:
        return age_text(-delta).replace(" ago", "") + " in the future (clocks disagree)"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h ago"
    if hours:
        return f"{hours} h {minutes} min ago"
    return f"{minutes} min ago" if minutes else f"{seconds} s ago"
