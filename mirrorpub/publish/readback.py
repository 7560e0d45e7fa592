"""Reading back what a publish sent, anonymously, at the address readers are given: as
`status` does, for copies readers fetch over the web (Backend.public_reads).

A bucket with a mistyped name, or one that is not publicly readable, can leave a publish
looking fine while no reader ever gets the copy; only a read from outside shows it. So:

    before the final manifest   one site file already up (the feed), for a copy that never
                                published or has changes: a copy failing here fails before
                                the manifest is made, so it is named as `failed`, if at all
    after the copy is complete  its front page and mirrors.json: else the mirror failed,
                                and a copy never published before stays unnamed

Until a copy has completed its first publish, each answer must be the bytes just sent
(same sha256 and size), so a public URL leading to another copy is caught too. After
that only the answer is asked for: a CDN in front of a copy may serve the bytes before
for a while (pages are cached five minutes), and the address is known to be the copy's.
Nothing here changes who may read a bucket: the fix for a refusal is named, and left to
the owner (SPEC §8).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import closing

from mirrorpub.errors import FetchError, NotFound, Refused, VerifyError
from mirrorpub.model import FileEntry
from mirrorpub.read.fetch import ReadLimits, open_copy

# A reader's patience for a few small files, not a whole site's (mirrors.json of 100,000
# files is ~15 MB).
LIMITS = ReadLimits(timeout=20.0, file_seconds=30.0, run_seconds=90.0, total_bytes=64 << 20)
REFUSED_HINT = "readers are turned away; make the copy publicly readable"


def read_back(url: str, expected: Mapping[str, FileEntry], refused_hint: str | None, *,
              exact: bool, limits: ReadLimits = LIMITS,
              asked: list[str] | None = None) -> str | None:
    """None when anonymous readers get `expected` (exactly these bytes, if `exact`) from
    the copy whose front page is `url`; else what is wrong, in one line that says what to
    do. Each path asked for is added to `asked` (requests count towards the mirror's)."""
    try:
        copy = open_copy(url, limits=limits)
    except VerifyError as exc:
        return f"cannot be read back at its public URL: {exc}"
    with closing(copy):
        for path, entry in sorted(expected.items()):
            if asked is not None:
                asked.append(path)
            try:
                got = copy.digest(path, entry.size if exact else None)
            except Refused as exc:
                return f"{exc.url} refused an anonymous reader ({exc.reason}): " \
                    f"{refused_hint or REFUSED_HINT}"
            except NotFound as exc:
                return (f"{exc.url} is not found by an anonymous reader ({exc.reason}), "
                        "though it was just sent: does public_url lead to this copy?")
            except FetchError as exc:
                return f"cannot be read back as a reader would: {exc}"
            if exact and (got.sha256, got.size) != (entry.sha256, entry.size):
                return (f"{copy.url(path)} serves other bytes than were just sent: does "
                        "public_url lead to another copy?")
    return None
