"""A client for the IPFS Pinning Service API v1 (Pinata, Filebase, 4EVERLAND, IPFS
Cluster's `pinsvcapi`), spoken over httpx.

    GET    /pins?cid=&meta=&status=&limit=   list pins (PinResults: count, results)
    POST   /pins                  {cid, name, origins, meta} -> PinStatus (202)
    GET    /pins/{requestid}      -> PinStatus {requestid, status, created, pin, delegates}
    DELETE /pins/{requestid}      -> 202

Every call carries `Authorization: Bearer <token>`. A status is one of queued, pinning,
pinned, failed. IPFS Cluster uses the CID as the request id, so pinning one CID twice
gives one pin; mirrorpub never removes a request whose CID it still keeps.

Every failure is raised as PinServiceError, whose message is one line that names the
service and says what to do; the token never appears in it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from mirrorpub.webclient import httpx

log = logging.getLogger(__name__)

STATUSES = ("queued", "pinning", "pinned", "failed")
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
LIST_LIMIT = 1000  # the spec's largest page


class PinServiceError(Exception):
    """Talking to a pin service failed. str() is one line meant for the user."""


@dataclass(frozen=True)
class PinStatus:
    requestid: str
    status: str
    cid: str
    name: str = ""
    meta: Mapping[str, str] = field(default_factory=dict)
    created: str = ""

    @classmethod
    def from_json(cls, data: Any) -> PinStatus:
        pin = data.get("pin") or {}
        return cls(requestid=str(data["requestid"]), status=str(data["status"]),
                   cid=str(pin.get("cid", "")), name=str(pin.get("name") or ""),
                   meta=dict(pin.get("meta") or {}), created=str(data.get("created") or ""))


class PinServiceClient:
    """One pin service. `token_env` only names where the token came from, for messages."""

    def __init__(self, name: str, endpoint: str, token: str, *, token_env: str = "",
                 timeout: float = 30.0, transport: httpx.BaseTransport | None = None) -> None:
        self.name, self.endpoint, self.token_env = name, endpoint.rstrip("/"), token_env
        self.timeout = timeout
        self._http = httpx.Client(
            base_url=self.endpoint, timeout=timeout, transport=transport,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            # A proxy from the environment must not swallow calls to a service here.
            trust_env=urlsplit(self.endpoint).hostname not in _LOOPBACK_HOSTS)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PinServiceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the API ----------------------------------------------------------------------------

    def add(self, cid: str, *, name: str, origins: list[str],
            meta: Mapping[str, str]) -> PinStatus:
        body = {"cid": cid, "name": name[:255], "origins": origins[:20], "meta": dict(meta)}
        return PinStatus.from_json(self._call("POST", "/pins", json=body, what="pin " + cid))

    def get(self, requestid: str) -> PinStatus:
        return PinStatus.from_json(self._call("GET", f"/pins/{quote(requestid, safe='')}",
                                              what="the pin's status"))

    def pins(self, *, meta: Mapping[str, str] | None = None,
             cids: list[str] | None = None) -> list[PinStatus]:
        """Pins of every status, filtered by meta (services may ignore that: callers
        check each answer again) and CIDs."""
        params: dict[str, Any] = {"status": ",".join(STATUSES), "limit": LIST_LIMIT}
        if meta:
            params["meta"] = json.dumps(dict(meta), sort_keys=True)
        if cids:
            params["cid"] = ",".join(cids[:10])
        answer = self._call("GET", "/pins", params=params, what="the list of pins")
        return [PinStatus.from_json(r) for r in answer.get("results") or []]

    def remove(self, requestid: str) -> None:
        """Remove one pin request; one already gone counts as done."""
        self._call("DELETE", f"/pins/{quote(requestid, safe='')}", what="an old pin",
                   missing_ok=True)

    # -- plumbing ---------------------------------------------------------------------------

    def _call(self, method: str, path: str, *, what: str, missing_ok: bool = False,
              **kwargs: Any) -> Any:
        log.debug("pin service %s: %s %s", self.name, method, path)
        with self._translated(what):
            response = self._http.request(method, path, **kwargs)
            if missing_ok and response.status_code == 404:
                return {}
            self._raise_for_status(response, what)
            return response.json() if response.content.strip() else {}

    @contextmanager
    def _translated(self, what: str) -> Iterator[None]:
        try:
            yield
        except httpx.TimeoutException:
            raise PinServiceError(f"pin service {self.name!r} did not answer within "
                                  f"{self.timeout:g} s ({what})") from None
        except httpx.ConnectError:
            raise PinServiceError(f"pin service {self.name!r} cannot be reached at "
                                  f"{self.endpoint} (is it running? check endpoint)") from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
            raise PinServiceError(f"pin service {self.name!r} at {self.endpoint} dropped the "
                                  f"connection during {what} (is it running?)") from None
        except httpx.HTTPError as exc:
            raise PinServiceError(f"pin service {self.name!r} failed during {what}: "
                                  f"{type(exc).__name__}") from None
        except (ValueError, KeyError, TypeError, AttributeError):
            raise PinServiceError(f"pin service {self.name!r}: the answer to {what} is not "
                                  "Pinning Service API JSON (is endpoint the API's "
                                  "address?)") from None

    def _raise_for_status(self, response: httpx.Response, what: str) -> None:
        status = response.status_code
        if status < 400:
            return
        if status in {401, 403}:
            where = f" in {self.token_env}" if self.token_env else ""
            raise PinServiceError(f"pin service {self.name!r} refused the token{where} "
                                  f"(HTTP {status}): set it to a valid access token")
        raise PinServiceError(f"pin service {self.name!r} answered HTTP {status} to {what}"
                              f"{_reason(response)}")


def _reason(response: httpx.Response) -> str:
    """The spec's error body is {"error": {"reason", "details"}}; cluster's is
    {"code", "message"}. One short line of it, never the whole body."""
    try:
        data = response.json()
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    error = data.get("error") if isinstance(data.get("error"), dict) else data
    text = str(error.get("details") or error.get("reason") or error.get("message") or "")
    line = text.strip().splitlines()[0][:200] if text.strip() else ""
    return f": {line}" if line else ""
