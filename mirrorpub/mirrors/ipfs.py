"""IPFS as a mirror: the whole site as one content-addressed tree on a kubo node.

The copy's address (root CID) depends on every byte of it, so it gets its manifest
files before anything is sent, and cannot name its own CID (SPEC §7). The newest
`keep_pins` roots stay pinned; older ones are unpinned. An optional IPNS name points
at the newest root; publishing it can take long on a real network, so it runs as a
follow-up with its own timeout and never holds the other mirrors up.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from mirrorpub.errors import MirrorError
from mirrorpub.mirrors.protocol import FinalFiles, LocalSite, Location, Outcome, Progress
from mirrorpub.mirrors.registry import MirrorConfig
from mirrorpub.options import Option, at_least, each, http_url, matches
from mirrorpub.rendercache import digest

MFS_FOLDER = "/mirrorpub"

OPTIONS: dict[str, Option] = {
    "api": Option(str, default="http://127.0.0.1:5001", check=http_url),
    "gateways": Option(list, default=["https://ipfs.io", "https://dweb.link"], items=str,
                       check=each(http_url)),
    "ipns_key": Option(str, default=None, check=matches(r"[A-Za-z0-9_-]{1,64}",
                                                        "a key name of letters, digits, - or _")),
    "pin": Option(bool, default=True),
    "keep_pins": Option(int, default=3, check=at_least(1)),
    "timeout": Option(int, default=120, check=at_least(1)),
    "ipns_timeout": Option(int, default=60, check=at_least(1)),
}


@dataclass(frozen=True)
class IpfsConfig(MirrorConfig):
    api: str
    gateways: tuple[str, ...]
    ipns_key: str | None
    pin: bool
    keep_pins: int
    timeout: int
    ipns_timeout: int


def make_config(values: dict[str, Any], base: Path, where: str,
                problems: list[str]) -> IpfsConfig | None:
    if not values["name"]:
        return None
    if not values["gateways"]:
        problems.append(f"{where}.gateways: expected at least one gateway URL")
    return IpfsConfig(
        name=values["name"], type="ipfs", retired=values["retired"],
        api=values["api"].rstrip("/"),
        gateways=tuple(g.rstrip("/") for g in values["gateways"]),
        ipns_key=values["ipns_key"], pin=values["pin"], keep_pins=values["keep_pins"],
        timeout=values["timeout"], ipns_timeout=values["ipns_timeout"],
    )


def locate(config: IpfsConfig, facts: Mapping[str, Any]) -> Location:
    cid, ipns = facts.get("cid"), facts.get("ipns")
    gateway_urls = [f"{g}/ipfs/{cid}/index.html" for g in config.gateways] if cid else []
    first = config.gateways[0] if config.gateways else None
    ipns_url = f"{first}/ipns/{ipns}/index.html" if ipns and first else None
    return Location(
        url=gateway_urls[0] if gateway_urls else ipns_url,
        # Only an IPNS name stays the same across publishes, so only it can go on pages.
        page_base=f"{first}/ipns/{ipns}/" if ipns and first else None,
        extra={"cid": cid, "ipns": ipns, "gateway_urls": gateway_urls, "ipns_url": ipns_url},
    )


def open_mirror(config: IpfsConfig) -> IpfsMirror:
    return IpfsMirror(config)


@dataclass
class IpfsPlan:
    site: LocalSite
    tree_digest: str
    unchanged: bool
    files: int
    nbytes: int
    config: IpfsConfig

    @property
    def is_noop(self) -> bool:
        return self.unchanged

    def summary(self) -> str:
        if self.unchanged:
            return "unchanged since the last publish (same tree, root still pinned)"
        return f"add {self.files} files ({self.nbytes} bytes) as one tree"

    def lines(self) -> list[str]:
        out = [self.summary()]
        if not self.unchanged and self.config.pin:
            out.append(f"pin the new root; keep the newest {self.config.keep_pins} roots pinned")
        if self.config.ipns_key:
            out.append(f"point IPNS key {self.config.ipns_key!r} at the new root")
        return out


class IpfsMirror:
    content_addressed = True

    def __init__(self, config: IpfsConfig) -> None:
        self.config = config
        self.name = config.name
        self._client: Any = None
        self._requests = 0

    def client(self) -> Any:
        if self._client is None:
            from mirrorpub.kubo import KuboClient

            self._client = KuboClient(self.config.api, timeout=float(self.config.timeout))
        return self._client

    def _call(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        from mirrorpub.kubo import KuboError

        self._requests += 1
        try:
            return function(*args, **kwargs)
        except KuboError as exc:
            raise MirrorError(self.name, str(exc)) from None

    def locate(self, facts: Mapping[str, Any]) -> Location:
        return locate(self.config, facts)

    def prepare(self, memory: Mapping[str, Any], *, dry_run: bool) -> dict[str, Any]:
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
        self._call(self.client().version)  # is the daemon there at all?
        tree = digest(sorted((p, e.sha256) for p, e in site.files.items()))
        roots = memory.get("roots", [])
        unchanged = bool(roots) and memory.get("tree_digest") == tree and (
            not self.config.pin or roots[0] in self._call(self.client().pins))
        return IpfsPlan(site=site, tree_digest=tree, unchanged=unchanged,
                        files=len(site.files), nbytes=sum(e.size for e in site.files.values()),
                        config=self.config)

    def apply(self, plan: IpfsPlan, final_files: FinalFiles, progress: Progress,
              memory: Mapping[str, Any]) -> Outcome:
        manifest = final_files()
        manifest_digest = digest(sorted((p, hashlib.sha256(d).hexdigest())
                                        for p, d in manifest.items()))
        roots = list(memory.get("roots", []))
        if plan.unchanged and memory.get("manifest_digest") == manifest_digest:
            progress.planned(0, 0)
            return Outcome(facts={"cid": roots[0]}, memory=dict(memory),
                           requests=self._requests)
        total = plan.nbytes + sum(len(d) for d in manifest.values())
        progress.planned(plan.files + len(manifest), total)
        cid = self._call(self.client().add_tree, _openers(plan.site, manifest),
                         on_file=progress.sent)
        if self.config.pin:
            progress.stage("pinning")
            self._call(self.client().pin_add, cid)
            roots = [cid, *(r for r in roots if r != cid)]
            for old in roots[self.config.keep_pins:]:
                self._call(self.client().pin_rm, old)
            roots = roots[: self.config.keep_pins]
        else:
            roots = [cid]
        self._copy_to_mfs(cid)
        return Outcome(uploaded=plan.files + len(manifest), bytes_sent=total,
                       facts={"cid": cid}, requests=self._requests,
                       memory={**memory, "roots": roots, "tree_digest": plan.tree_digest,
                               "manifest_digest": manifest_digest})

    def _copy_to_mfs(self, cid: str) -> None:
        # The newest root also sits in the node's file view (`ipfs files ls /mirrorpub`),
        # where an operator can find it without mirrorpub.
        target = f"{MFS_FOLDER}/{self.name}"
        self._call(self.client().files_mkdir, MFS_FOLDER)
        self._call(self.client().files_rm, target)
        self._call(self.client().files_cp, f"/ipfs/{cid}", target)

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


def _openers(site: LocalSite, manifest: Mapping[str, bytes]) -> Iterator[
        tuple[str, Callable[[], IO[bytes]]]]:
    for path in site.files:
        yield path, (lambda p=path: (site.output_dir / p).open("rb"))
    for path, data in manifest.items():
        yield path, (lambda d=data: io.BytesIO(d))
