"""Helpers for tests: write a site, run the real CLI, crawl a copy as a reader would."""

from __future__ import annotations

import json
import os
import posixpath
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import httpx

REPO = Path(__file__).resolve().parents[1]


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def write_config(root: Path, site: Mapping[str, Any], mirrors: list[Mapping[str, Any]] = (),
                 name: str = "mirrorpub.toml") -> Path:
    lines = ["[site]"] + [f"{k} = {toml_value(v)}" for k, v in site.items()]
    for mirror in mirrors:
        tables = {k: v for k, v in mirror.items()
                  if isinstance(v, list) and v and all(isinstance(t, Mapping) for t in v)}
        lines += ["", "[[mirrors]]"] + [f"{k} = {toml_value(v)}" for k, v in mirror.items()
                                        if k not in tables]
        for key, entries in tables.items():  # e.g. [[mirrors.pin_services]]
            for table in entries:
                lines += [f"[[mirrors.{key}]]"] + [f"{k} = {toml_value(v)}"
                                                  for k, v in table.items()]
    path = root / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def article(title: str, date: str = "2026-11-25T12:30:00+06:00", body: str = "Body text.",
            **front: Any) -> str:
    lines = ["---", f"title: {json.dumps(title, ensure_ascii=False)}", f"date: {date}"]
    for key, value in front.items():
        lines.append(f"{key}: {json.dumps(value, ensure_ascii=False)}")
    return "\n".join(lines) + "\n---\n" + body + "\n"


def write_site(root: Path, articles: Mapping[str, str], *, files: Mapping[str, bytes] = {},
               mirrors: list[Mapping[str, Any]] = (), **site: Any) -> Path:
    """A site folder with mirrorpub.toml and content/; returns the config path."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, text in articles.items():
        path = root / "content" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for rel, data in files.items():
        path = root / "content" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (root / "content").mkdir(exist_ok=True)
    return write_config(root, {"title": "Test site", "language": "en", **site}, mirrors)


def mirrorpub(*args: str, cwd: Path, env: Mapping[str, str] | None = None,
              timeout: float = 240, check: bool = False) -> subprocess.CompletedProcess[str]:
    """Run the real command line, as an editor would."""
    full_env = {**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"}
    result = subprocess.run([sys.executable, "-m", "mirrorpub", *args], cwd=cwd, env=full_env,
                            capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"mirrorpub {' '.join(args)} exited {result.returncode}:\n"
                             f"{result.stdout}\n{result.stderr}")
    return result


def assert_no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert "Traceback" not in result.stdout, result.stdout


# --- a reader's crawl -------------------------------------------------------------------

_LOADING = {("img", "src"), ("script", "src"), ("link", "href"), ("iframe", "src"),
            ("source", "src"), ("video", "src"), ("audio", "src"), ("embed", "src"),
            ("object", "data"), ("video", "poster"), ("track", "src"), ("input", "src")}


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str, str]] = []  # (tag, attr, url)
        self.html_attrs: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v for k, v in attrs if v is not None}
        if tag == "html":
            self.html_attrs = values
        for attr in ("href", "src", "data", "poster"):
            if attr in values:
                self.links.append((tag, attr, values[attr]))
        if "srcset" in values:
            for candidate in values["srcset"].split(","):
                if candidate.strip():
                    self.links.append((tag, "srcset", candidate.split()[0]))


@dataclass
class Crawl:
    pages: dict[str, bytes] = field(default_factory=dict)  # path -> body
    types: dict[str, str] = field(default_factory=dict)  # path -> Content-Type
    html_attrs: dict[str, dict[str, str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    external_links: set[str] = field(default_factory=set)


Fetch = Callable[[str], tuple[int, str, bytes]]  # site path -> (status, content type, body)


def crawl(fetch: Fetch, start: str = "index.html") -> Crawl:
    """Follow every internal link from `start`; record what a reader would trip over."""
    result = Crawl()
    todo, seen = [start], {start}
    while todo:
        path = todo.pop()
        status, ctype, body = fetch(path)
        if status != 200:
            result.problems.append(f"{path}: HTTP {status}")
            continue
        result.pages[path] = body
        result.types[path] = ctype
        if not ctype.startswith("text/html"):
            continue
        parser = _Links()
        parser.feed(body.decode("utf-8"))
        result.html_attrs[path] = parser.html_attrs
        for tag, attr, url in parser.links:
            target = _check_link(path, tag, attr, url, result)
            if target and target not in seen:
                seen.add(target)
                todo.append(target)
    return result


def _check_link(page: str, tag: str, attr: str, url: str, result: Crawl) -> str | None:
    parts = urlsplit(url)
    loads = (tag, attr) in _LOADING or attr == "srcset"
    if parts.scheme or url.startswith("//"):
        if loads and parts.scheme != "data":
            result.problems.append(f"{page}: loads {url} from elsewhere")
        elif not loads:
            result.external_links.add(url)
        return None
    if not parts.path:
        return None
    if parts.path.startswith("/"):
        result.problems.append(f"{page}: root-absolute link {url}")
        return None
    if parts.path.endswith("/"):
        result.problems.append(f"{page}: folder link {url}")
        return None
    target = posixpath.normpath(posixpath.join(posixpath.dirname(page), unquote(parts.path)))
    if target.startswith(".."):
        result.problems.append(f"{page}: link {url} leaves the copy")
        return None
    return target


def http_fetcher(base_url: str, client: httpx.Client | None = None) -> Fetch:
    http = client or httpx.Client(timeout=20)

    def fetch(path: str) -> tuple[int, str, bytes]:
        response = http.get(urljoin(base_url, path))
        return response.status_code, response.headers.get("content-type", ""), response.content

    return fetch


def folder_fetcher(root: Path) -> Fetch:
    from mirrorpub.site.mediatypes import content_type

    def fetch(path: str) -> tuple[int, str, bytes]:
        target = root / path
        if not target.is_file():
            return 404, "", b""
        return 200, content_type(path), target.read_bytes()

    return fetch


def article_paths(crawl_result: Crawl) -> set[str]:
    return {p for p in crawl_result.pages if re.fullmatch(r"articles/[a-z0-9-]+\.html", p)}


def case_id(value: object) -> str | None:
    """A short printable test id for a text parameter (mutmut selects tests by id on a
    command line, where newlines and brackets in an id do not survive)."""
    if isinstance(value, str | bytes) and len(value) > 1:
        text = value.decode("latin-1") if isinstance(value, bytes) else value
        return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:40] or "blank"
    return None
