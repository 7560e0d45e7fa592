"""The git mirror: the branch as the remote has it, against the site; one commit of
exactly the copy's files; one push.

    plan:   ls-remote (is the branch where we left it?) -> fetch it only when not
            -> blob ids of the site's files (hashed once, remembered by sha256)
            -> what differs from the branch's tree: the files to send, those to delete
    apply:  wait for the manifest files -> the tree -> unchanged: nothing is pushed
            -> a commit dated by the manifest's published_at (the same copy, the same
               commit) -> push: history = 1 replaces the branch (force, with lease);
               history > 1 adds to it, and once it holds `history` commits, the oldest
               are dropped by re-making the newest on a new root (force, with lease)
            -> a refusal is a failed mirror naming the remote's reason

Every file of the copy goes out at once (one commit), so there is no order to keep: the
branch shows the old site or the new.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mirrorpub import fsatomic
from mirrorpub.errors import MirrorError
from mirrorpub.formats import human_bytes
from mirrorpub.layout import MANIFEST, is_part
from mirrorpub.mirrors.git.config import GitConfig
from mirrorpub.mirrors.git.repo import Repo, explain, translated
from mirrorpub.mirrors.protocol import FinalFiles, LocalSite, MirrorBase, Outcome, Progress

log = logging.getLogger(__name__)

NOJEKYLL = ".nojekyll"  # GitHub Pages serves files as they are, "_" names included
BLOBS = "mirrorpub-blobs.json"  # path -> [sha256, blob id] of the last commit pushed
SITE_FILES_MESSAGE = "mirrorpub: the site files (the manifest follows)"


@dataclass
class GitPlan:
    site: LocalSite
    tip: str | None  # the branch's commit on the remote (None: no branch yet)
    remote_files: dict[str, str]  # path -> blob id on the branch
    blobs: dict[str, str]  # path -> blob id of every site file
    uploads: list[str]
    deletes: list[str]
    held: list[str]  # deletes over the cap: kept on the branch
    max_deletes: int
    calls_before: int = 0  # the clone's count of network calls when this run began

    @property
    def is_noop(self) -> bool:
        return not self.uploads and not self.deletes

    def summary(self) -> str:
        nbytes = sum(self.site.files[p].size for p in self.uploads)
        parts = [f"{len(self.uploads)} to send ({human_bytes(nbytes)})",
                 f"{len(self.deletes)} to delete",
                 f"{len(self.site.files) - len(self.uploads)} unchanged"]
        if self.held:
            parts.append(f"{len(self.held)} deletes held back (cap {self.max_deletes})")
        return ", ".join(parts)

    def lines(self) -> list[str]:
        out = [f"branch at {self.tip[:12]}" if self.tip else "no branch yet: the first commit"]
        out += [f"send {p} ({human_bytes(self.site.files[p].size)}): "
                f"{'changed' if p in self.remote_files else 'not on the branch'}"
                for p in self.uploads]
        out.append(f"then, if they changed: {', '.join(sorted(self.site.manifest_names))}")
        out += [f"delete {p}: no longer in the site" for p in self.deletes]
        if self.held:
            out.append(f"hold back {len(self.held)} deletes: more than the cap of "
                       f"{self.max_deletes} (raise it with --max-deletes)")
        return out


class GitMirror(MirrorBase):
    def __init__(self, config: GitConfig) -> None:
        self.config = config
        self.name = config.name
        self._repo: Repo | None = None

    def repo(self) -> Repo:
        if self._repo is None:
            config = self.config
            token = _token(config)
            self._repo = Repo(config.name, config.clone_dir(), config.remote, token=token,
                              timeout=config.timeout,
                              site_root=config.state_dir.parent if config.state_dir else None)
        return self._repo

    # -- plan -------------------------------------------------------------------------------
    def plan(self, site: LocalSite, memory: Mapping[str, Any], *, max_deletes: int) -> GitPlan:
        repo = self.repo()
        calls_before = repo.network_calls
        with translated(self.name, f"read branch {self.config.branch!r} of {self.config.remote}"):
            repo.ensure()
            tip = repo.remote_tip(self.config.branch)
            if tip is not None and not repo.has(tip):
                repo.fetch(self.config.branch, depth=self.config.history)
            remote_files = repo.files_of(tip) if tip else {}
            blobs = self._blob_ids(site)
        keep = set(site.manifest_names) | {NOJEKYLL}
        uploads = sorted(p for p in site.files if remote_files.get(p) != blobs[p])
        # The old manifest's parts leave with it, in the commit that replaces it.
        gone = sorted(p for p in remote_files if p not in site.files and p not in keep
                      and not is_part(p))
        cap = len(gone) if max_deletes < 0 else max_deletes
        deletes, held = (gone, []) if len(gone) <= cap else ([], gone)
        return GitPlan(site, tip, remote_files, blobs, uploads, deletes, held, max_deletes,
                       calls_before)

    def _blob_ids(self, site: LocalSite) -> dict[str, str]:
        """Blob ids of the site files: remembered ones for an unchanged sha256, the others
        hashed (and written into the clone) in one run of git."""
        known = self._remembered()
        blobs = {p: known[p][1] for p, e in site.files.items()
                 if p in known and known[p][0] == e.sha256}
        missing = sorted(set(site.files) - set(blobs))
        ids = self.repo().hash_files([site.output_dir / p for p in missing])
        blobs.update(zip(missing, ids, strict=True))
        return blobs

    def _remembered(self) -> dict[str, list[str]]:
        try:
            data = json.loads((self.config.clone_dir() / BLOBS).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    # -- apply ------------------------------------------------------------------------------
    def apply(self, plan: GitPlan, final_files: FinalFiles, progress: Progress,
              memory: Mapping[str, Any]) -> Outcome:
        repo, config = self.repo(), self.config
        progress.planned(len(plan.uploads), sum(plan.site.files[p].size for p in plan.uploads))
        lease = plan.tip
        if config.history == 1 and (plan.uploads or plan.deletes):
            lease = self._push_site_files(plan, progress)
        progress.stage("waiting for the manifest")
        manifest = final_files()
        with translated(self.name, "make the commit"):
            files, sent = self._tree_files(plan, manifest)
            tree = repo.write_tree(files)
        outcome = Outcome(uploaded=len(sent), deleted=len(plan.deletes),
                          bytes_sent=sum(_size(plan, manifest, p) for p in sent))
        if plan.held:
            outcome.problem = (f"{len(plan.held)} files left the site but were not deleted: "
                               f"more than the cap of {plan.max_deletes}; rerun with "
                               f"--max-deletes {len(plan.held)} if that is expected")
        if lease is not None and repo.tree_of(lease) == tree:
            if lease == plan.tip:
                outcome.uploaded = outcome.deleted = outcome.bytes_sent = 0
            self._remember(plan, lease)
        else:
            progress.stage(f"pushing {len(sent)} files to {config.branch}")
            commit, force = self._commit(plan, tree, manifest)
            self._push(repo, commit, lease, force or lease != plan.tip)
            for path in sent:
                progress.sent(path, _size(plan, manifest, path))
            self._remember(plan, commit)
        outcome.requests = repo.network_calls - plan.calls_before
        outcome.memory = {"commit": repo.remote_ref()}
        return outcome

    def _push_site_files(self, plan: GitPlan, progress: Progress) -> str:
        """With history = 1, the site files go up before the barrier, beside the branch's
        old manifest files (the order of an object store: pages first, then the manifest
        that names them). A refusal is then known before the manifest is made, so every
        other copy names this one `failed`. The next push replaces this commit."""
        repo = self.repo()
        old = {p: blob for p, blob in plan.remote_files.items()
               if p in plan.site.manifest_names or is_part(p)}
        progress.stage(f"pushing {len(plan.uploads)} site files to {self.config.branch}")
        with translated(self.name, "make the commit"):
            files = {**plan.blobs, **old, NOJEKYLL: repo.hash_bytes(b"")}
            files.update({p: plan.remote_files[p] for p in plan.held})
            commit = repo.commit(repo.write_tree(files), [], SITE_FILES_MESSAGE, "@0 +0000")
        self._push(repo, commit, plan.tip, plan.tip is not None)
        return commit

    def _tree_files(self, plan: GitPlan, manifest: Mapping[str, bytes]
                    ) -> tuple[dict[str, str], list[str]]:
        """Every file of the new tree (path -> blob), and which of them the branch lacks."""
        repo = self.repo()
        files = dict(plan.blobs)
        for path, data in sorted(manifest.items()):
            files[path] = repo.hash_bytes(data)
        files[NOJEKYLL] = repo.hash_bytes(b"")
        files.update({p: plan.remote_files[p] for p in plan.held})
        sent = sorted(p for p, blob in files.items() if plan.remote_files.get(p) != blob)
        return files, sent

    def _commit(self, plan: GitPlan, tree: str, manifest: Mapping[str, bytes]
                ) -> tuple[str, bool]:
        """The new commit, and whether pushing it rewrites the branch."""
        repo, history = self.repo(), self.config.history
        date, message = _stamp(manifest)
        with translated(self.name, "make the commit"):
            if history == 1 or plan.tip is None:
                return repo.commit(tree, [], message, date), plan.tip is not None
            kept = repo.first_parents(plan.tip, history)
            if len(kept) < history:  # room for one more: a plain fast-forward
                return repo.commit(tree, [plan.tip], message, date), False
            parent: list[str] = []
            for _sha, old_tree, old_date, old_message in reversed(kept[:history - 1]):
                parent = [repo.commit(old_tree, parent, old_message, old_date)]
            return repo.commit(tree, parent, message, date), True

    def _push(self, repo: Repo, commit: str, tip: str | None, force: bool) -> None:
        result = repo.push(commit, self.config.branch, lease=tip, force=force)
        if result.code != 0:
            raise MirrorError(self.name, f"{self.config.remote} refused the push to "
                              f"{self.config.branch!r}: {_refusal(result.out, result.err)}")
        with translated(self.name, "record the push"):
            repo.set_remote_ref(commit)

    def _remember(self, plan: GitPlan, commit: str) -> None:
        """The blob ids of what the branch now holds, for the next plan."""
        if commit != plan.tip:
            self.repo().set_remote_ref(commit)
        known = {p: [plan.site.files[p].sha256, blob] for p, blob in plan.blobs.items()}
        try:
            fsatomic.write_bytes(self.config.clone_dir() / BLOBS,
                                 json.dumps(known, sort_keys=True).encode())
        except OSError as exc:  # only a cache: the next publish hashes again
            log.warning("%s: cannot keep the blob ids: %s", self.name, exc.strerror)


def preflight(config: GitConfig) -> list[str]:
    """The token there. The remote itself is asked once, by the plan (`ls-remote`): a
    second round trip on every publish would buy little."""
    try:
        _token(config)
    except MirrorError as exc:
        return [exc.message]
    return []


def _token(config: GitConfig) -> str | None:
    if config.token_env is None:
        return None
    token = os.environ.get(config.token_env, "").strip()
    if not token:
        raise MirrorError(config.name, f"token_env: the variable {config.token_env} is not set")
    return token


def _stamp(manifest: Mapping[str, bytes]) -> tuple[str, str]:
    """The commit's date and message, from the copy's own manifest: the same copy gives
    the same commit, and the branch's log reads as the list of published versions."""
    doc = json.loads(manifest[MANIFEST])
    when = datetime.strptime(doc["published_at"], "%Y-%m-%dT%H:%M:%SZ")
    seconds = int((when - datetime(1970, 1, 1)).total_seconds())
    return f"@{seconds} +0000", f"mirrorpub: version {doc['version']}"


def _size(plan: GitPlan, manifest: Mapping[str, bytes], path: str) -> int:
    if path in manifest:
        return len(manifest[path])
    entry = plan.site.files.get(path)
    return entry.size if entry else 0


def _refusal(out: str, err: str) -> str:
    """The remote's reason: the rejected ref's line, and what the remote said."""
    rejected = [line.split("\t")[-1] for line in out.splitlines() if line.startswith("!")]
    said = [line[len("remote:"):].strip() for line in err.splitlines()
            if line.startswith("remote:") and line[len("remote:"):].strip()]
    if not rejected and not said:
        return explain(err)
    return "; ".join([*rejected, *said[:4]])
