"""The IPFS mirror: the whole site as one content-addressed tree on a kubo node.

The copy's address (root CID) depends on every byte of it, so it gets its manifest
files before anything is sent, and cannot name its own CID (SPEC §7). With pin services
(SPEC §9) the new root counts as published only once `min_copies` of them confirmed it
(copies.py): until then apply() raises, the mirror fails this publish, and the other
copies keep naming the last confirmed root. The newest `keep_pins` roots stay pinned,
on the node and on the services; older ones are unpinned. An optional IPNS name points
at the newest root; publishing it can take long on a real network, so it runs as a
follow-up with its own timeout and never holds the other mirrors up.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mirrorpub.errors import MirrorError
from mirrorpub.hashing import stable_digest
from mirrorpub.layout import is_part
from mirrorpub.mirrors import readahead
from mirrorpub.mirrors.ipfs.config import IpfsConfig, PinServiceConfig, version_key
from mirrorpub.mirrors.ipfs.mfs import Changes, IncrementalCopy, Opener, changes
from mirrorpub.mirrors.protocol import FinalFiles, LocalSite, MirrorBase, Outcome, Progress

log = logging.getLogger(__name__)


@dataclass
class IpfsPlan:
    site: LocalSite
    tree_digest: str
    unchanged: bool
    config: IpfsConfig
    changes: Changes | None = None  # site files only; None: the whole tree is added
    # What the node's copy holds (path -> sha256), read for the plan: apply() reads that
    # 100,000-entry file again only when the plan did not.
    remembered: Mapping[str, str] | None = None

    @property
    def is_noop(self) -> bool:
        return self.unchanged

    def summary(self) -> str:
        if self.unchanged:
            return "unchanged since the last publish (same tree, root still pinned)"
        if self.changes is None:
            nbytes = sum(e.size for e in self.site.files.values())
            return f"add {len(self.site.files)} files ({nbytes} bytes) as one tree"
        return (f"send {len(self.changes.send)} changed files and the manifest files into "
                f"the node's copy, remove {len(self.changes.remove)}")

    def lines(self) -> list[str]:
        out = [self.summary()]
        if not self.unchanged and self.config.pin:
            out.append(f"pin the new root; keep the newest {self.config.keep_pins} roots pinned")
        if not self.unchanged and self.config.pin_services:
            names = ", ".join(s.name for s in self.config.pin_services)
            out.append(f"ask pin services {names} to pin it; wait for {self.config.min_copies} "
                       "confirmation(s)")
        if self.config.ipns_key:
            out.append(f"point IPNS key {self.config.ipns_key!r} at the new root")
        return out


class IpfsMirror(MirrorBase):
    def __init__(self, config: IpfsConfig) -> None:
        self.config = config
        self.name = config.name
        self._client: Any = None
        self._requests = 0  # over this mirror's life; each Outcome counts its own run's
        self._run_start = 0
        self._services: list[Any] | None = None

    def client(self) -> Any:
        if self._client is None:
            from mirrorpub.mirrors.ipfs.kubo import KuboClient

            self._client = KuboClient(self.config.api, timeout=float(self.config.timeout))
        return self._client

    def services(self) -> list[Any]:
        """One client per pin service; its token read from its variable now."""
        if self._services is None:
            from mirrorpub.mirrors.ipfs.pinsvc import PinServiceClient

            timeout = float(min(self.config.timeout, self.config.pin_timeout))
            self._services = [PinServiceClient(s.name, s.endpoint, self._token(s),
                                               token_env=s.token_env, timeout=timeout)
                              for s in self.config.pin_services]
        return self._services

    def _token(self, service: PinServiceConfig) -> str:
        from mirrorpub import redact

        token = os.environ.get(service.token_env, "").strip()
        if not token:
            raise MirrorError(self.name, f"pin service {service.name!r}: token_env: the "
                              f"variable {service.token_env} is not set")
        redact.remember(token)
        return token

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        for service in self._services or []:
            service.close()
        self._services = None

    def _call(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        from mirrorpub.mirrors.ipfs.kubo import KuboError

        self._requests += 1
        try:
            return function(*args, **kwargs)
        except KuboError as exc:
            raise MirrorError(self.name, str(exc)) from None

    def prepare(self, memory: Mapping[str, Any], *, dry_run: bool) -> dict[str, Any]:
        self._run_start = self._requests  # every run begins here
        key = self.config.ipns_key
        if not key:
            return {}
        keys = self._call(self.client().key_list)
        if key in keys:
            return {"ipns": keys[key]}
        if dry_run:
            return {}
        return {"ipns": self._call(self.client().key_gen, key)}

    def plan(self, site: LocalSite, memory: Mapping[str, Any], *, max_deletes: int) -> IpfsPlan:
        if not readahead.take(version_key(self.config))[0]:  # the preflight just asked
            self._call(self.client().version)  # is the daemon there at all?
        self.services()  # every token is there, before anything is sent
        # The build's digest of the site files: a publish with nothing to send reads none.
        tree = site.files_digest
        roots = memory.get("roots", [])
        unchanged = bool(roots) and memory.get("tree_digest") == tree and (
            not self.config.pin or roots[0] in self._call(self.client().pins))
        if unchanged:
            return IpfsPlan(site=site, tree_digest=tree, unchanged=True, config=self.config)
        copy = IncrementalCopy(self.client(), self.name, self._state_dir())
        old = self._call(copy.remembered)
        return IpfsPlan(site=site, tree_digest=tree, unchanged=False, config=self.config,
                        changes=_site_changes(site, old, copy.full_add_share), remembered=old)

    def apply(self, plan: IpfsPlan, final_files: FinalFiles, progress: Progress,
              memory: Mapping[str, Any]) -> Outcome:
        manifest = final_files()
        manifest_digest = stable_digest(sorted((p, hashlib.sha256(d).hexdigest())
                                        for p, d in manifest.items()))
        roots = list(memory.get("roots", []))
        if plan.unchanged and memory.get("manifest_digest") == manifest_digest:
            progress.planned(0, 0)
            return Outcome(facts={"cid": roots[0]}, memory=dict(memory),
                           requests=self._requests - self._run_start)
        files = _files(plan.site, manifest)
        copy = IncrementalCopy(self.client(), self.name, self._state_dir())
        todo = self._call(copy.changes_for, files, plan.remembered)
        sending = list(files) if todo is None else todo.send
        progress.planned(len(sending), sum(_size(plan.site, manifest, p) for p in sending))
        sent = self._call(copy.send, todo, files, progress.sent)
        cid = sent.cid
        warnings = self._remote_copies(cid, progress) if self.config.pin_services else []
        if self.config.pin:
            progress.stage("pinning")
            self._pin(cid, roots[0] if roots else None)
            roots = [cid, *(r for r in roots if r != cid)]
            for old in roots[self.config.keep_pins:]:
                self._call(self.client().pin_rm, old)
            roots = roots[: self.config.keep_pins]
        else:
            roots = [cid]
        return Outcome(uploaded=sent.files, bytes_sent=sent.nbytes,
                       facts={"cid": cid}, requests=self._requests - self._run_start,
                       warnings=warnings,
                       memory={**memory, "roots": roots, "tree_digest": plan.tree_digest,
                               "manifest_digest": manifest_digest})

    def _pin(self, cid: str, last: str | None) -> None:
        """Pin the new root: from the root pinned last, when there is one, which costs what
        changed; else (or should that pin be gone, say unpinned by hand) the whole tree."""
        if last is not None and last != cid:
            try:
                self._call(self.client().pin_update, last, cid)
                return
            except MirrorError as exc:
                log.info("%s: pinning %s from %s failed (%s); pinning it whole", self.name,
                         cid, last, exc.message)
        self._call(self.client().pin_add, cid)

    def _state_dir(self) -> Path:
        assert self.config.state_dir is not None, "a loaded config knows its state folder"
        return self.config.state_dir

    def _remote_copies(self, cid: str, progress: Progress) -> list[str]:
        """Wait for `min_copies` confirmations of `cid`, or raise; then let go of old pins."""
        from mirrorpub.mirrors.ipfs import copies
        from mirrorpub.mirrors.ipfs.pinsvc import PinServiceError

        peer_id, origins = self._call(self.client().node_id)
        owner = copies.owner_mark(peer_id, self.name)
        progress.stage("waiting for pin services")
        services = self.services()
        self._requests += 2 * len(services)
        result = copies.request(services, copies.pin_request(
            cid, mirror=self.name, owner=owner, origins=origins),
            min_copies=self.config.min_copies, timeout=float(self.config.pin_timeout))
        if len(result.confirmed) < self.config.min_copies:
            raise MirrorError(self.name, f"new root {cid} not published: "
                              + result.summary(self.config.min_copies))
        warnings = [f"{problem} (the copy is published; that service may lag)"
                    for _, problem in sorted(result.problems.items())]
        for service in services:
            if service.name in result.confirmed:
                try:
                    self._requests += 1
                    copies.prune(service, owner=owner, keep=self.config.keep_pins)
                except PinServiceError as exc:
                    warnings.append(f"old pins not removed: {exc}")
        return warnings

    def follow_up(self, outcome: Outcome, progress: Progress) -> list[str]:
        key, cid = self.config.ipns_key, outcome.facts.get("cid")
        if not key or not cid or outcome.memory.get("ipns_root") == cid:
            return []
        progress.stage("publishing IPNS")
        try:
            self._call(self.client().name_publish, cid, key,
                       timeout=float(self.config.ipns_timeout))
        except MirrorError as exc:
            return [f"IPNS name not updated ({exc.message}); the new root {cid} is published "
                    "and pinned, the IPNS name still points to the previous one"]
        outcome.memory["ipns_root"] = cid
        return []


def _site_changes(site: LocalSite, old: Mapping[str, str] | None,
                  full_add_share: float) -> Changes | None:
    """For the plan's lines: what changed among the site files since the node's copy
    was last written (the manifest files and their parts are new every time)."""
    if old is None:
        return None
    todo = changes({p: h for p, h in old.items()
                    if p not in site.manifest_names and not is_part(p)},
                   {p: e.sha256 for p, e in site.files.items()})
    return todo if len(todo) <= full_add_share * max(len(site.files), 1) else None


def _files(site: LocalSite, manifest: Mapping[str, bytes]) -> dict[str, tuple[str, Opener]]:
    """Every file of the copy: path -> (sha256, opener)."""
    files: dict[str, tuple[str, Opener]] = {
        path: (entry.sha256, lambda p=path: (site.output_dir / p).open("rb"))
        for path, entry in site.files.items()}
    for path, data in manifest.items():
        files[path] = (hashlib.sha256(data).hexdigest(), lambda d=data: io.BytesIO(d))
    return files


def _size(site: LocalSite, manifest: Mapping[str, bytes], path: str) -> int:
    return len(manifest[path]) if path in manifest else site.files[path].size
