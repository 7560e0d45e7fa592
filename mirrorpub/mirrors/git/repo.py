"""git itself, run as a program on the clone mirrorpub keeps for one mirror.

The clone is bare (the site's files are never copied into a work tree): blobs are
written straight from the built site (`hash-object -w`), a tree is made from a temporary
index, a commit on it with `commit-tree`. `refs/mirrorpub/remote` is the branch as
mirrorpub last saw it on the remote, so a push sends only objects the remote lacks.

Credentials: git asks a credential helper given on its command line (`-c`), a shell
function that prints the token from this process's environment, only for the remote's
own host; the user's own helpers are switched off for these runs, so the token is never
stored. The token is never in a URL, .git/config, an argument, output or a log; git's
messages are scrubbed of it (and of this machine's paths) before anyone sees them.
Prompts are off: a missing credential is an error, never a hang.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shlex
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from mirrorpub.errors import MirrorError

log = logging.getLogger(__name__)

REMOTE_REF = "refs/mirrorpub/remote"
TOKEN_VAR = "MIRRORPUB_GIT_TOKEN"
HOST_VAR = "MIRRORPUB_GIT_HOST"
DEFAULT_USER = "x-access-token"  # GitHub's word; GitLab and Gitea take any user with a token


def credential_helper(user: str) -> str:
    """A helper printing the token only when git asks for the remote's own host (a
    redirect elsewhere gets nothing), and only for `get` (`store`, `erase` are ignored)."""
    return ('!f() { test "$1" = get || exit 0; h=; while read -r l && [ -n "$l" ]; do '
            'case "$l" in host=*) h="${l#host=}";; esac; done; '
            f'[ "$h" = "${HOST_VAR}" ] || exit 0; '
            f'printf "username=%s\\npassword=%s\\n" {shlex.quote(user)} "${TOKEN_VAR}"; '
            '}; f')


# Settings for every run: nothing from the user's setup may sign, hook or store.
SAFE_CONFIG = ("credential.helper=", "core.hooksPath=/dev/null", "commit.gpgSign=false",
               "push.gpgSign=false", "gc.auto=0", "core.askPass=", "advice.detachedHead=false")


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


class GitFailure(Exception):
    """git failed; `text` is its message, already scrubbed."""

    def __init__(self, text: str, code: int) -> None:
        super().__init__(text)
        self.text, self.code = text, code


class Repo:
    def __init__(self, mirror: str, path: Path, remote: str, *, token: str | None,
                 timeout: int, site_root: Path | None) -> None:
        self.mirror, self.path, self.remote = mirror, path, remote
        self.token, self.timeout = token, timeout
        self.site_root = site_root
        self.network_calls = 0
        parts = urlsplit(remote)
        self.user = parts.username or DEFAULT_USER
        self.host = parts.netloc.rpartition("@")[2]

    # -- local ----------------------------------------------------------------------------
    def ensure(self) -> None:
        if (self.path / "HEAD").is_file():
            return
        self.path.mkdir(parents=True, exist_ok=True)
        # No template: no sample hooks or excludes from this machine's setup.
        self.run(["init", "--bare", "--quiet", "--template=", str(self.path)], bare=False)

    def has(self, commit: str) -> bool:
        return self.run(["cat-file", "-e", f"{commit}^{{commit}}"], check=False).code == 0

    def tree_of(self, commit: str) -> str:
        return self.run(["rev-parse", f"{commit}^{{tree}}"]).out.strip()

    def files_of(self, commit: str) -> dict[str, str]:
        """path -> blob id of every file in the commit's tree."""
        out = self.run(["ls-tree", "-r", "-z", "--full-tree", commit]).out
        files = {}
        for record in filter(None, out.split("\0")):
            meta, _, path = record.partition("\t")
            _mode, kind, blob = meta.split()
            if kind == "blob":
                files[path] = blob
        return files

    def hash_files(self, paths: Sequence[Path]) -> list[str]:
        """Write each file as a blob; their ids, in order."""
        if not paths:
            return []
        out = self.run(["hash-object", "-w", "--no-filters", "--stdin-paths"],
                       stdin="".join(f"{p}\n" for p in paths)).out
        return out.split()

    def hash_bytes(self, data: bytes) -> str:
        return self.run(["hash-object", "-w", "--no-filters", "--stdin"], stdin=data).out.strip()

    def write_tree(self, files: Mapping[str, str]) -> str:
        """A tree holding exactly these files (path -> blob id), all mode 100644."""
        with tempfile.TemporaryDirectory(dir=self.path) as scratch:
            env = {"GIT_INDEX_FILE": os.path.join(scratch, "index")}
            lines = "".join(f"100644 {blob}\t{path}\n" for path, blob in sorted(files.items()))
            self.run(["update-index", "--add", "--index-info"], stdin=lines, env=env)
            return self.run(["write-tree"], env=env).out.strip()

    def commit(self, tree: str, parents: Iterable[str], message: str, date: str) -> str:
        """A commit whose every field is given: the same inputs, the same commit."""
        env = {"GIT_AUTHOR_NAME": "mirrorpub", "GIT_AUTHOR_EMAIL": "mirrorpub@invalid",
               "GIT_COMMITTER_NAME": "mirrorpub", "GIT_COMMITTER_EMAIL": "mirrorpub@invalid",
               "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
        args = ["commit-tree", "--no-gpg-sign", tree]
        for parent in parents:
            args += ["-p", parent]
        return self.run(args, stdin=message + "\n", env=env).out.strip()

    def first_parents(self, commit: str, count: int) -> list[tuple[str, str, str, str]]:
        """The newest `count` commits of the branch, newest first: (id, tree, date, msg)."""
        out = self.run(["log", "--first-parent", f"-{count}", "-z",
                        "--format=%H %T %ad%n%B", "--date=raw", commit]).out
        commits = []
        for record in filter(None, out.split("\0")):
            head, _, message = record.partition("\n")
            sha, tree, seconds, zone = head.split()
            commits.append((sha, tree, f"{seconds} {zone}", message.rstrip("\n")))
        return commits

    def set_remote_ref(self, commit: str) -> None:
        self.run(["update-ref", REMOTE_REF, commit])

    def remote_ref(self) -> str | None:
        result = self.run(["rev-parse", "--verify", "-q", REMOTE_REF], check=False)
        return result.out.strip() or None

    # -- over the network -----------------------------------------------------------------
    def remote_tip(self, branch: str) -> str | None:
        out = self.network(["ls-remote", "--heads", self.remote, f"refs/heads/{branch}"]).out
        for line in out.splitlines():
            sha, _, ref = line.partition("\t")
            if ref == f"refs/heads/{branch}":
                return sha
        return None

    def fetch(self, branch: str, depth: int) -> None:
        self.network(["fetch", "--quiet", "--no-tags", "--no-write-fetch-head",
                      f"--depth={depth}", self.remote, f"+refs/heads/{branch}:{REMOTE_REF}"])

    def push(self, commit: str, branch: str, *, lease: str | None, force: bool) -> Result:
        args = ["push", "--porcelain", "--no-verify"]
        if force:
            args.append(f"--force-with-lease=refs/heads/{branch}:{lease or ''}")
        return self.network([*args, self.remote, f"{commit}:refs/heads/{branch}"], check=False)

    def network(self, args: list[str], *, check: bool = True) -> Result:
        self.network_calls += 1
        return self.run(args, check=check, remote=True)

    # -- running git ------------------------------------------------------------------------
    def run(self, args: list[str], *, stdin: str | bytes | None = None,
            env: Mapping[str, str] | None = None, check: bool = True, bare: bool = True,
            remote: bool = False) -> Result:
        settings = list(SAFE_CONFIG)
        if remote:
            settings += [f"credential.helper={credential_helper(self.user)}",
                         "http.lowSpeedLimit=1000", f"http.lowSpeedTime={self.timeout}"]
        command = ["git", *(arg for setting in settings for arg in ("-c", setting))]
        if bare:
            command += [f"--git-dir={self.path}"]
        data = stdin.encode() if isinstance(stdin, str) else stdin
        try:
            done = subprocess.run([*command, *args], input=data, capture_output=True,
                                  env=self._env(env, remote), timeout=self.timeout if remote
                                  else None, check=False)
        except FileNotFoundError:
            raise MirrorError(self.mirror, "git is not installed (Debian: apt install git)") \
                from None
        except subprocess.TimeoutExpired:
            raise MirrorError(self.mirror, f"{self.remote}: no answer within "
                              f"{self.timeout} s") from None
        result = Result(done.returncode, self.scrub(done.stdout.decode(errors="replace")),
                        self.scrub(done.stderr.decode(errors="replace")))
        log.debug("git %s: exit %d", args[0], result.code)
        if check and result.code != 0:
            raise GitFailure(result.err.strip() or result.out.strip(), result.code)
        return result

    def _env(self, extra: Mapping[str, str] | None, remote: bool) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if k not in ("GIT_ASKPASS", "SSH_ASKPASS", "GIT_DIR", "GIT_WORK_TREE",
                            "GIT_INDEX_FILE", TOKEN_VAR)}
        env.update({"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", "GIT_CONFIG_NOSYSTEM": "1"})
        env.setdefault("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")
        if remote and self.token:
            env.update({TOKEN_VAR: self.token, HOST_VAR: self.host})
        env.update(extra or {})
        return env

    def scrub(self, text: str) -> str:
        """git's words without the token or this machine's paths."""
        if self.token:
            text = text.replace(self.token, "***")
        text = text.replace(str(self.path), f".mirrorpub/git/{self.mirror}")
        if self.site_root is not None:
            text = text.replace(str(self.site_root), ".")
        return text


@contextlib.contextmanager
def translated(mirror: str, action: str):  # type: ignore[no-untyped-def]
    """GitFailure as the MirrorError an editor reads."""
    try:
        yield
    except GitFailure as exc:
        raise MirrorError(mirror, f"cannot {action}: {explain(exc.text)}") from None


def explain(text: str) -> str:
    """git's message in one line, with what to do where we know it."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    joined = "; ".join(lines[-4:]) if lines else "git failed"
    lower = text.lower()
    if "authentication failed" in lower or "invalid username or password" in lower:
        return ("the remote refused the credentials (authentication failed): is the token "
                "in token_env right, and allowed to push?")
    if "could not read username" in lower or "terminal prompts disabled" in lower:
        return "the remote asks for credentials: set token_env to a variable holding a token"
    if "repository not found" in lower or "does not appear to be a git repository" in lower:
        return f"no such repository, or no access to it ({joined})"
    return joined
