"""git copies (SPEC §10): GitHub / GitLab / Codeberg Pages. The remote is Debian's
`git http-backend` behind a test server with basic auth (smart HTTP, as git hosts serve
it), or a bare repository over file://; "Pages" is the pushed branch, taken out with
`git archive`, served from a folder as a Pages host would. ssh:// runs git's own ssh
transport through a stand-in `ssh` (GIT_SSH_COMMAND) that runs the remote's command on
this machine: no ssh server, no network, the same commands git sends a real host."""

from __future__ import annotations

import io
import json
import secrets
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.kinds.common import (
    EDITED,
    assert_only_the_edit_changed,
    edit_one_article,
    make_site,
    mirror_report,
    publish,
)
from tests.services.githttp import GitServer, bare, git_server
from tests.services.webfolder import web_folder
from tests.sitekit import article_paths, assert_no_traceback, crawl, http_fetcher, mirrorpub

TOKEN = "ghp_" + secrets.token_hex(18)


def git(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                          check=True).stdout


@dataclass
class Pages:
    """A remote, and a Pages host serving its branch from a folder."""

    server: GitServer
    repo: Path
    folder: Path
    url: str

    def refresh(self, branch: str = "gh-pages") -> None:
        """What the Pages host does after a push: serve the branch's files."""
        shutil.rmtree(self.folder)
        self.folder.mkdir()
        archive = subprocess.run(["git", f"--git-dir={self.repo}", "archive", "--format=tar",
                                  branch], capture_output=True, check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(self.folder, filter="data")

    def objects(self) -> dict[str, str]:
        out = git(f"--git-dir={self.repo}", "cat-file", "--batch-all-objects",
                  "--batch-check=%(objectname) %(objecttype)")
        return dict(line.split() for line in out.splitlines())

    def files(self, branch: str = "gh-pages") -> dict[str, str]:
        out = git(f"--git-dir={self.repo}", "ls-tree", "-r", branch)
        return {line.split("\t")[1]: line.split()[2] for line in out.splitlines()}

    def commits(self, branch: str = "gh-pages") -> list[str]:
        return git(f"--git-dir={self.repo}", "rev-list", branch).split()


@pytest.fixture
def pages(tmp_path: Path) -> Iterator[Pages]:
    with git_server(tmp_path / "remotes", TOKEN) as server:
        repo = bare(server.root, "mirror.git")
        folder = tmp_path / "pages"
        folder.mkdir()
        with web_folder(folder) as url:
            yield Pages(server, repo, folder, url)


def git_mirror(pages: Pages, **extra: Any) -> dict[str, Any]:
    return {"name": "pages", "type": "git", "remote": pages.server.repo_url("mirror.git"),
            "token_env": "PAGES_TOKEN", "public_url": pages.url, **extra}


ENV = {"PAGES_TOKEN": TOKEN}


def test_a_reader_crawls_the_pushed_branch_and_verify_and_status_pass(
        pages: Pages, tmp_path: Path) -> None:
    root = tmp_path / "site"
    make_site(root, [git_mirror(pages)])
    report = publish(root, ENV)
    assert mirror_report(report, "pages")["ok"]
    pages.refresh()
    with httpx.Client(timeout=10) as reader:
        result = crawl(http_fetcher(pages.url, reader))
    assert result.problems == []
    assert article_paths(result) == {"articles/one.html", "articles/two.html",
                                     "articles/three.html"}
    assert (pages.folder / ".nojekyll").read_bytes() == b""
    assert not {".mirrorpub-index.json", ".mirrorpub-index.journal.json"} & set(pages.files())
    assert len(pages.commits()) == 1
    author = git(f"--git-dir={pages.repo}", "log", "-1", "--format=%an <%ae> %aI %s",
                 "gh-pages").strip()
    published = json.loads((pages.folder / "mirrors.json").read_text())["published_at"]
    assert author == f"mirrorpub <mirrorpub@invalid> {published.replace('Z', '+00:00')} " \
        "mirrorpub: version 2"  # a site's first publish names its new copies in a second
    verify = mirrorpub("verify", pages.url, cwd=root)
    assert verify.returncode == 0, verify.stdout
    status = mirrorpub("status", cwd=root, env=ENV)
    assert status.returncode == 0, status.stdout + status.stderr
    clone = root / ".mirrorpub" / "git" / "pages"
    for path in clone.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path
    for result in (verify, status):
        assert TOKEN not in result.stdout + result.stderr


def test_a_one_edit_publish_pushes_only_the_changed_files(pages: Pages, tmp_path: Path) -> None:
    root = tmp_path / "site"
    make_site(root, [git_mirror(pages)])
    publish(root, ENV)
    files_before, objects_before = pages.files(), pages.objects()

    pages.server.requests.clear()
    report = mirror_report(publish(root, ENV), "pages")
    assert report["uploaded"] == 0 and pages.server.pushes() == []  # nothing changed
    assert len(pages.server.requests) <= 3, pages.server.requests

    edit_one_article(root)
    report = mirror_report(publish(root, ENV), "pages")
    files_after = pages.files()
    changed = {p for p in files_after if files_before.get(p) != files_after[p]}
    assert_only_the_edit_changed(changed)
    assert report["uploaded"] == len(changed), (report, changed)
    new_blobs = {o for o, kind in pages.objects().items()
                 if kind == "blob" and o not in objects_before}
    assert new_blobs == {files_after[p] for p in changed}  # the push carried only those
    # The site files first, then the manifest files naming every copy's status.
    assert len(pages.server.pushes()) == 2
    pages.refresh()
    assert "A corrected paragraph." in (pages.folder / EDITED).read_text()
    assert len(pages.commits()) == 1  # history = 1: the branch never grows


def test_history_keeps_that_many_commits(pages: Pages, tmp_path: Path) -> None:
    root = tmp_path / "site"
    make_site(root, [git_mirror(pages, history=3)])
    for round_ in range(5):
        (root / "content" / "extra.md").write_text(
            f"---\ntitle: Extra {round_}\ndate: 2026-11-23T10:00:00Z\n---\nRound {round_}.\n")
        publish(root, ENV)
        # The first publish makes two versions: the second names the copies it proved.
        assert len(pages.commits()) == min(round_ + 2, 3)
    messages = git(f"--git-dir={pages.repo}", "log", "--format=%s", "gh-pages").split("\n")
    assert messages[:3] == ["mirrorpub: version 6", "mirrorpub: version 5",
                            "mirrorpub: version 4"]


def test_the_same_copy_makes_the_same_commit(pages: Pages, tmp_path: Path) -> None:
    other = bare(tmp_path / "elsewhere", "copy.git")
    root = tmp_path / "site"
    make_site(root, [git_mirror(pages), {"name": "file-remote", "type": "git",
                                         "remote": other.as_uri(), "public_url": pages.url}])
    publish(root, ENV)
    ours = git(f"--git-dir={pages.repo}", "rev-parse", "gh-pages")
    assert git(f"--git-dir={other}", "rev-parse", "gh-pages") == ours
    assert mirrorpub("verify", str(tmp_path / "site" / "public"), cwd=root).returncode == 0


def test_a_bare_repository_over_file_url(tmp_path: Path) -> None:
    repo = bare(tmp_path / "usb", "site.git")
    folder = tmp_path / "pages"
    folder.mkdir()
    with web_folder(folder) as url:
        root = tmp_path / "site"
        make_site(root, [{"name": "stick", "type": "git", "remote": repo.as_uri(),
                          "branch": "main", "public_url": url}])
        publish(root)
        checkout = tmp_path / "checkout"
        git("clone", "--quiet", "--branch", "main", repo.as_uri(), str(checkout))
        shutil.copytree(checkout, folder, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(".git"))
        assert crawl(http_fetcher(url)).problems == []
        assert mirrorpub("verify", url, cwd=root).returncode == 0


FAKE_SSH = """#!/bin/sh
# ssh [options] HOST COMMAND: note the host, run the command here, as sshd would there.
for last; do :; done
eval "host=\\${$(($# - 1))}"
echo "$host" >> "$(dirname "$0")/hosts"
exec sh -c "$last"
"""


def test_a_remote_over_ssh(tmp_path: Path) -> None:
    repo = bare(tmp_path / "server", "site.git")
    ssh = tmp_path / "bin" / "ssh"
    ssh.parent.mkdir()
    ssh.write_text(FAKE_SSH)
    ssh.chmod(0o755)
    root = tmp_path / "site"
    make_site(root, [{"name": "pages", "type": "git", "branch": "main",
                      "remote": f"ssh://git@pages.example{repo}",
                      "public_url": "https://pages.invalid/"}])
    report = publish(root, {"GIT_SSH_COMMAND": str(ssh)})
    assert mirror_report(report, "pages")["ok"]
    assert set((tmp_path / "bin" / "hosts").read_text().split()) == {"git@pages.example"}
    files = git(f"--git-dir={repo}", "ls-tree", "-r", "--name-only", "main").split()
    assert "index.html" in files and "mirrors.json" in files


def test_a_protected_branch_fails_the_mirror_with_the_remotes_reason(
        pages: Pages, tmp_path: Path) -> None:
    hook = pages.repo / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'GH006: Protected branch update failed for "
                    "refs/heads/gh-pages.' >&2\nexit 1\n")
    hook.chmod(0o755)
    root = tmp_path / "site"
    folder = tmp_path / "usb"
    make_site(root, [git_mirror(pages), {"name": "usb", "type": "directory",
                                         "path": str(folder)}])
    report = publish(root, ENV, expect=3)
    error = mirror_report(report, "pages")["error"]
    assert "refused the push" in error and "GH006: Protected branch update failed" in error
    assert "pre-receive hook declined" in error
    assert mirror_report(report, "usb")["ok"]  # the other copy was still updated
    listed = {m["name"]: m["status"] for m in json.loads(
        (folder / "mirrors.json").read_text())["mirrors"]}
    assert listed == {"usb": "active"}  # a copy that never published is never named


def test_a_wrong_token_or_none_fails_the_mirror_and_never_shows_it(pages: Pages,
                                                                  tmp_path: Path) -> None:
    root = tmp_path / "site"
    make_site(root, [git_mirror(pages)])
    wrong = "ghp_wrong" + secrets.token_hex(12)
    result = mirrorpub("publish", "-vv", cwd=root, env={"PAGES_TOKEN": wrong})
    assert_no_traceback(result)
    assert result.returncode == 3
    assert "refused the credentials" in result.stderr, result.stderr
    assert wrong not in result.stdout + result.stderr
    make_site(root, [{**git_mirror(pages), "token_env": None}])
    (root / "mirrorpub.toml").write_text((root / "mirrorpub.toml").read_text().replace(
        'token_env = "None"\n', ""))
    result = mirrorpub("publish", cwd=root)
    assert result.returncode == 3
    assert "asks for credentials: set token_env" in result.stderr, result.stderr
    assert pages.commits() == [] if _has_branch(pages) else True


def _has_branch(pages: Pages) -> bool:
    return bool(git(f"--git-dir={pages.repo}", "branch", "--list", "gh-pages").strip())


def test_a_non_fast_forward_is_refused_with_history(pages: Pages, tmp_path: Path) -> None:
    git(f"--git-dir={pages.repo}", "config", "receive.denyNonFastForwards", "true")
    root = tmp_path / "site"
    make_site(root, [git_mirror(pages, history=3)])
    publish(root, ENV)  # two commits: the second names the copies the first proved
    edit_one_article(root)
    publish(root, ENV)  # three commits: a fast-forward
    (root / "content" / "one.md").write_text((root / "content" / "one.md").read_text()
                                             + "\nMore.\n")
    report = publish(root, ENV, expect=3)  # dropping the oldest rewrites the branch
    assert "non-fast-forward" in mirror_report(report, "pages")["error"]
    assert len(pages.commits()) == 3


def test_bad_git_config_is_one_line_per_key(tmp_path: Path) -> None:
    root = tmp_path / "site"
    make_site(root, [{"name": "pages", "type": "git",
                      "remote": f"https://user:{TOKEN}@example.org/x.git",
                      "public_url": "https://example.org/", "history": 0},
                     {"name": "plain", "type": "git", "remote": "http://example.org/x.git",
                      "token_env": "T", "public_url": "https://example.org/"}])
    result = mirrorpub("publish", cwd=root)
    assert result.returncode == 1
    assert "mirrors[0].remote: expected a URL without a password" in result.stderr
    assert "mirrors[0].history: expected an integer of at least 1" in result.stderr
    assert "mirrors[1].token_env: a token is sent over https:// only" in result.stderr
    assert TOKEN not in result.stderr
