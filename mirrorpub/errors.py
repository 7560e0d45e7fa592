"""One exception tree for everything mirrorpub reports to a user.

    MirrorpubError                 exit 1 unless said otherwise
    ├── ConfigError                mirrorpub.toml is wrong (lists every problem)
    ├── ContentError               an article or file under content/ is wrong
    │   └── ContentErrors          several of them, each its own line (up to a cap)
    ├── BuildError                 rendering failed (a template, the output folder)
    ├── PreflightError             a mirror cannot be published to; checked before sending
    ├── Interrupted                asked to stop (a signal) before anything was sent
    ├── LockError                  another publish of this site is running
    ├── SigningError               a signing key cannot be read or made
    ├── UsageError                 a command line that cannot work (exit 2)
    ├── MirrorError                one mirror failed (mirror=, key=)
    └── VerifyError                a copy could not be fetched or checked
        └── FetchError             one file of a copy could not be read (url=, path=)
            ├── NotFound           404/410, or no such file in the folder
            ├── Refused            401/403, permission denied, not a plain file
            ├── Unreachable        network failure, timeout, any other HTTP status,
            │                      too slow, a redirect to another host
            └── Stopped            the check's own deadline or byte allowance ran out

Lower-layer errors (botocore, httpx, OSError) are translated into these at the boundary
of the module that meets them, so the CLI can print one line and pick the exit code.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_MIRROR_FAILED = 3


class MirrorpubError(Exception):
    """Base of every error meant for a user: its str() is the one line they read."""

    exit_code = EXIT_ERROR

    def lines(self) -> list[str]:
        """What the CLI prints: one line per problem."""
        return [str(self)]


class ConfigError(MirrorpubError):
    """The config file has one or more problems; all of them are listed."""

    def __init__(self, file: str, problems: list[str]) -> None:
        self.file = file
        self.problems = list(problems)
        super().__init__("; ".join(f"{file}: {p}" for p in self.problems))

    def lines(self) -> list[str]:
        return [f"{self.file}: {p}" for p in self.problems]


class ContentError(MirrorpubError):
    """A content file is wrong. Carries the file and, where known, the line."""

    def __init__(self, file: str, message: str, line: int | None = None) -> None:
        self.file = file
        self.line = line
        self.message = message
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {message}")


# Content problems listed at once; past this many the rest are counted, not listed.
CONTENT_ERRORS_SHOWN = 20


class ContentErrors(ContentError):
    """Every content problem one step of the build found, so the editor fixes them in one
    go; str() is the first (and how many more) for a log line, lines() one per problem."""

    def __init__(self, errors: list[ContentError]) -> None:
        self.errors = sorted(errors, key=lambda e: (e.file, e.line or 0, e.message))
        first = self.errors[0]
        more = len(self.errors) - 1
        super().__init__(first.file, first.message + (f" (and {more} more content "
                                                     "problems)" if more else ""), first.line)

    def lines(self) -> list[str]:
        shown = [str(e) for e in self.errors[:CONTENT_ERRORS_SHOWN]]
        hidden = len(self.errors) - CONTENT_ERRORS_SHOWN
        if hidden > 0:
            shown.append(f"… and {hidden} more content problems; fix these and build again")
        return shown


def raise_content_errors(errors: list[ContentError]) -> None:
    """Raise what a build step found: nothing, the one error, or all of them."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ContentErrors(errors)


class BuildError(MirrorpubError):
    pass


class PreflightError(MirrorpubError):
    """Checks made before anything is sent found mirrors that cannot take this publish
    (credentials missing, a service not answering): nothing was sent to any mirror."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))

    def lines(self) -> list[str]:
        return [*self.problems, "nothing was sent to any mirror; fix the above, or publish "
                "--skip-preflight to send to the other mirrors anyway"]


class Interrupted(MirrorpubError):
    """Asked to stop before anything was sent: every copy is as it was. (The CLI gives the
    exit code of the signal that asked: 130 for SIGINT, 143 for SIGTERM.)"""


class LockError(MirrorpubError):
    pass


class SigningError(MirrorpubError):
    pass


class UsageError(MirrorpubError):
    exit_code = EXIT_USAGE


class MirrorError(MirrorpubError):
    """One mirror failed; `mirror` names it, `key` the object involved if any."""

    def __init__(self, mirror: str, message: str, key: str | None = None) -> None:
        self.mirror, self.key, self.message = mirror, key, message
        super().__init__(f"mirror {mirror!r}: {message}")


class VerifyError(MirrorpubError):
    pass


class FetchError(VerifyError):
    def __init__(self, message: str, *, url: str, path: str) -> None:
        self.url, self.path, self.reason = url, path, message
        super().__init__(f"{url}: {message}")


class NotFound(FetchError):
    pass


class Refused(FetchError):
    pass


class Unreachable(FetchError):
    pass


class Stopped(FetchError):
    """The whole check ran out of time or of bytes it may read: this file was not checked."""
