"""The files a copy's manifest lists: `files` of the first format, or the parts named
in `files_index` of the second (SPEC §12).

A part is fetched only by the name the signed mirrors.json gives it, and used only when
its bytes hash to the sha256 listed beside that name, so a part is as authentic as the
manifest naming it. A part may still be hostile (the manifest unsigned, or signed by a
key taken): each is bounded in size, parsed against the shipped schema, and every path
in it must lie inside the copy and appear in one part only. Anything wrong is one
VerifyError line naming the part.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from mirrorpub import layout
from mirrorpub.errors import FetchError, VerifyError
from mirrorpub.read.fetch import Copy
from mirrorpub.safepath import is_site_path
from mirrorpub.trust.schema import files_part_schema, schema_errors

# A part of a 100,000-article site is ~0.4 MB (manifest.split_files); ten times that is
# the most one part may be.
PART_LIMIT = 4 * 1024 * 1024
MAX_ERRORS = 3

Files = dict[str, Mapping[str, Any]]


def is_v2(doc: Mapping[str, Any]) -> bool:
    return "files_index" in doc


def listed_files(copy: Copy, doc: Mapping[str, Any]) -> Files:
    """Every file the manifest lists, with its sha256 and size. Raises VerifyError."""
    if not is_v2(doc):
        return dict(doc["files"])
    files: Files = {}
    for entry in doc["files_index"]:
        for path, listed in read_part(copy, entry["path"], entry["sha256"]).items():
            if path in files:
                raise VerifyError(f"{copy.url(entry['path'])}: lists {path!r}, which another "
                                  "part lists too: the manifest is damaged or hostile")
            files[path] = listed
    return files


def read_part(copy: Copy, path: str, sha256: str) -> Files:
    """One part's files, checked against the sha256 the manifest gives it."""
    where = copy.url(path) if layout.is_part(path) else repr(path)
    if path != layout.part_path(sha256):
        raise VerifyError(f"files_index: part {where} is not named by its sha256 "
                          "(mirrorpub-files/<sha256>.json): the manifest is damaged or hostile")
    try:
        data = copy.read(path, PART_LIMIT)
    except FetchError as exc:
        raise VerifyError(f"{exc}: a part of the manifest cannot be read, so the files it "
                          "lists cannot be checked") from None
    if hashlib.sha256(data).hexdigest() != sha256:
        raise VerifyError(f"{where}: its content does not match the sha256 the manifest "
                          "lists for it: altered or cut short")
    return _parse_part(data, where)


def _parse_part(data: bytes, where: str) -> Files:
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise VerifyError(f"{where}: not valid JSON ({exc})") from None
    except RecursionError:
        raise VerifyError(f"{where}: nested too deeply to be a part of a manifest") from None
    problems = schema_errors(doc, files_part_schema(), where="part")
    if not problems:
        problems = [f"files: {p!r} leads outside the copy" for p in doc["files"]
                    if not is_site_path(p)]
    if problems:
        more = len(problems) - MAX_ERRORS
        raise VerifyError(f"{where}: not a valid part of a manifest: "
                          + "; ".join(problems[:MAX_ERRORS])
                          + (f" (and {more} more)" if more > 0 else ""))
    return dict(doc["files"])

