"""A small in-process Pinning Service API v1 (for unit tests only; the integration tests
use IPFS Cluster's real pinsvcapi). Served through httpx.MockTransport: no port."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class FakePinService:
    token: str = "fake-token-123456"
    polls_until_pinned: int = 1  # GETs of one pin before it reports "pinned"
    final: str = "pinned"  # or "failed", or "queued" (never gets anywhere)
    pins: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    polls: dict[str, int] = field(default_factory=dict)
    ignores_meta_filter: bool = False  # like a service that lists every pin
    _next: int = 0

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def foreign(self, cid: str, name: str = "someone else's") -> str:
        """A pin somebody else made on this service."""
        return self._store({"cid": cid, "name": name, "origins": [], "meta": {}}, "pinned")

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append((request.method, request.url.path))
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return httpx.Response(401, json={"error": {"reason": "UNAUTHORIZED"}})
        path = request.url.path
        if path == "/pins" and request.method == "POST":
            pin = json.loads(request.content)
            return httpx.Response(202, json=self._status(self._store(pin, "queued")))
        if path == "/pins" and request.method == "GET":
            return httpx.Response(200, json=self._list(request.url.params))
        requestid = path.removeprefix("/pins/")
        if requestid not in self.pins:
            return httpx.Response(404, json={"error": {"reason": "NOT_FOUND"}})
        if request.method == "DELETE":
            del self.pins[requestid]
            return httpx.Response(202)
        self._poll(requestid)
        return httpx.Response(200, json=self._status(requestid))

    def _store(self, pin: dict[str, Any], status: str) -> str:
        self._next += 1
        requestid = f"req-{self._next}"
        self.pins[requestid] = {"pin": pin, "status": status,
                                "created": f"2026-01-01T00:00:{self._next:02d}Z"}
        return requestid

    def _poll(self, requestid: str) -> None:
        self.polls[requestid] = self.polls.get(requestid, 0) + 1
        entry = self.pins[requestid]
        if entry["status"] == "queued" and self.polls[requestid] >= self.polls_until_pinned:
            entry["status"] = self.final

    def _status(self, requestid: str) -> dict[str, Any]:
        entry = self.pins[requestid]
        return {"requestid": requestid, "status": entry["status"], "created": entry["created"],
                "pin": entry["pin"], "delegates": [], "info": {}}

    def _list(self, params: httpx.QueryParams) -> dict[str, Any]:
        meta = json.loads(params.get("meta", "{}"))
        cids = set(filter(None, params.get("cid", "").split(",")))
        found = [self._status(r) for r, e in self.pins.items()
                 if (self.ignores_meta_filter
                     or all(e["pin"].get("meta", {}).get(k) == v for k, v in meta.items()))
                 and (not cids or e["pin"]["cid"] in cids)]
        return {"count": len(found), "results": found}

    def cids(self) -> set[str]:
        return {e["pin"]["cid"] for e in self.pins.values()}
