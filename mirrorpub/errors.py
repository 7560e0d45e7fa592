"""One exception tree for everything mirrorpub reports to a user.

    MirrorpubError                 exit 1 unless said otherwise
    ├── ConfigError                mirrorpub.toml is wrong (lists every problem)
    ├── ContentError               an article or file under content/ is wrong
    ├── BuildError                 rendering failed (a template, the output folder)
    ├── LockError                  another publish of this site is running
    ├── SigningError               a signing key cannot be read or made
    ├── VerifyError                a copy could not be fetched or checked
    └── PublishError               something went wrong while pushing
        └── MirrorError            one mirror failed (mirror=, key=)

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


class ConfigError(MirrorpubError):
    """The config file has one or more problems; all of them are listed."""

    def __init__(self, file: str, problems: list[str]) -> None:
        self.file = file
        self.problems = list(problems)
        super().__init__("; ".join(f"{file}: {p}" for p in self.problems))


class ContentError(MirrorpubError):
    """A content file is wrong. Carries the file and, where known, the line."""

    def __init__(self, file: str, message: str, line: int | None = None) -> None:
        self.file = file
        self.line = line
        self.message = message
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {message}")


class BuildError(MirrorpubError):
    pass


class LockError(MirrorpubError):
    pass


class SigningError(MirrorpubError):
    pass


class VerifyError(MirrorpubError):
    pass


class PublishError(MirrorpubError):
    pass


class MirrorError(PublishError):
    """One mirror failed; `mirror` names it, `key` the object involved if any."""

    def __init__(self, mirror: str, message: str, key: str | None = None) -> None:
        self.mirror = mirror
        self.key = key
        self.message = message
        super().__init__(f"mirror {mirror!r}: {message}")
