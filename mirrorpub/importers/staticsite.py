"""What Hugo and Jekyll imports share: front matter (YAML `---`, TOML `+++`, JSON `{`)
read and mapped to SPEC §5, slugs planned, every URL of a body resolved to an article's
`.md` file, a file copied beside it, or a link elsewhere, and the result staged and
committed like any import.

A generator's module says where its articles and files are (`Source`), how its macros
(Hugo shortcodes, Liquid tags) read, and where each file goes in the content folder.
"""

from __future__ import annotations

import json
import posixpath
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from mirrorpub.content.slugs import slugify
from mirrorpub.errors import ContentError
from mirrorpub.importers.article import Front, article_text, one_line, unique_tags
from mirrorpub.importers.htmlmd import to_markdown
from mirrorpub.importers.mdlinks import mask_code, rewrite_links
from mirrorpub.importers.plan import SlugBook, existing_slugs, relative_link
from mirrorpub.importers.report import ImportReport, Note
from mirrorpub.importers.writer import StagedWriter

_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
_KEPT_SCHEMES = {"mailto", "tel", "sms", "xmpp", "geo", "magnet", "irc", "ircs", "matrix",
                 "signal"}
_MAPPED = {"title", "date", "publishdate", "pubdate", "published", "lastmod", "updated",
           "last_modified_at", "modified", "slug", "url", "permalink", "draft", "tags",
           "categories", "category", "description", "summary", "excerpt", "author", "authors",
           "lang", "language"}
HTML_SUFFIXES = (".html", ".htm")
_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


@dataclass
class Page:
    """One source article."""

    source: Path
    rel: str  # path in the source folder, as shown in messages
    out: str  # path of the article in the content folder
    meta: dict[str, Any]
    body: str
    is_page: bool = False
    draft: bool = False
    name: str = ""  # the name its old URL ended with
    default_date: datetime | None = None  # Jekyll: the date in the file name
    slug: str = ""
    front: Front | None = None
    notes: list[Note] = field(default_factory=list)


@dataclass
class Source:
    """What one generator's module tells the shared import."""

    kind: str  # "Hugo" or "Jekyll"
    root: Path  # the folder its paths are relative to
    shown: str
    pages: list[Page]
    file_roots: list[tuple[Path, str]]  # (folder, content path) for root-absolute URLs
    base_url: str  # the old site's address, or ""
    zone: tzinfo
    macros: Callable[[Page, Callable[[str], str | None], Callable[[str, str], None]], str]
    bundle_files: dict[str, Path] = field(default_factory=dict)  # content path -> file
    source_notes: list[Note] = field(default_factory=list)


# --- front matter -----------------------------------------------------------------------

def split_front_matter(text: str, shown: str) -> tuple[dict[str, Any], str]:
    """(front matter, body) of a Hugo or Jekyll source file."""
    text = text.removeprefix("\ufeff")
    first = text.split("\n", 1)[0].strip()
    if first in ("---", "+++"):
        fence = re.compile(rf"^{re.escape(first)}[ \t]*$|^\.\.\.[ \t]*$" if first == "---"
                           else r"^\+\+\+[ \t]*$", re.MULTILINE)
        closing = fence.search(text, len(text.split("\n", 1)[0]) + 1)
        if closing is None:
            raise ContentError(shown, f"front matter opened with {first} is not closed", 1)
        raw = text[len(text.split("\n", 1)[0]) + 1: closing.start()]
        body = text[closing.end():].removeprefix("\r").removeprefix("\n")
        meta = _yaml(raw, shown) if first == "---" else _toml(raw, shown)
        return meta, body
    if text.startswith("{"):
        try:
            meta, end = json.JSONDecoder().raw_decode(text)
        except ValueError as exc:
            raise ContentError(shown, f"front matter is not valid JSON: {exc}") from None
        return (meta if isinstance(meta, dict) else {}), text[end:].lstrip("\r\n")
    return {}, text


def _yaml(raw: str, shown: str) -> dict[str, Any]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(raw, Loader=loader)  # a safe loader: libyaml's where there is one
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise ContentError(shown, f"front matter is not valid YAML: {exc.problem}",
                           mark.line + 2 if mark else 2) from None
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        raise ContentError(shown, f"front matter is not valid YAML: {one_line(str(exc))}",
                           2) from None
    return data if isinstance(data, dict) else {}


def _toml(raw: str, shown: str) -> dict[str, Any]:
    try:
        return tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        raise ContentError(shown, f"front matter is not valid TOML: {exc}",
                           int(found.group(1)) + 1 if found else 2) from None


def read_text(path: Path, shown: str) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ContentError(shown, "is not valid UTF-8; save it as UTF-8", line) from None


def when(value: Any, zone: tzinfo) -> datetime | None:
    """A front matter date (TOML or YAML value, or text such as Jekyll's
    `2019-05-03 10:00:00 +0300`), aware."""
    if isinstance(value, str):
        value = _parse_date(value.strip())
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=zone)
    if isinstance(value, date):
        return datetime.combine(value, time(0, 0), tzinfo=zone)
    if isinstance(value, time):
        return None
    return None


def _parse_date(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace(" +", "+").replace(" -", "-"))
    except ValueError:
        pass
    for form in ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M %z", "%Y-%m-%d %H:%M:%S",
                 "%Y-%m-%d %H:%M"):
        try:
            return datetime.strptime(text, form)
        except ValueError:
            continue
    return None


def _words(value: Any) -> list[str]:
    """Tags or categories: a list, or (Jekyll) one string of words."""
    if isinstance(value, str):
        return value.split() if " " in value and "," not in value else \
            [v for v in value.split(",")]
    if isinstance(value, list):
        return [str(v) for v in value if isinstance(v, str | int | float)]
    return []


def check_slug(slug: str, shown: str) -> None:
    if "/" in slug or "\\" in slug or slug.startswith("..") or "\x00" in slug:
        raise ContentError(shown, f"has the slug {slug!r}, which would leave the content "
                           "folder: refusing the import")


def wanted_slug(page: Page, shown: str) -> str:
    meta = page.meta
    slug = meta.get("slug")
    if isinstance(slug, str | int) and str(slug).strip():
        check_slug(str(slug).strip(), shown)
        return slugify(str(slug))
    for key in ("url", "permalink"):
        value = meta.get(key)
        if isinstance(value, str) and value.strip("/ "):
            last = [s for s in unquote(value).split("/") if s and ":" not in s]
            if last:
                return slugify(last[-1].removesuffix(".html"))
    return slugify(page.name or Path(page.rel).stem)


def map_front(page: Page, source: Source, shown: str) -> Front:
    meta = page.meta
    title = meta.get("title")
    title = one_line(str(title)) if isinstance(title, str | int | float) and str(title).strip() \
        else page.name.replace("-", " ").capitalize() or "Untitled"
    date_value = next((meta[k] for k in ("date", "publishdate", "pubdate", "published")
                       if k in meta and not isinstance(meta[k], bool)), None)
    published = when(date_value, source.zone) if date_value is not None else None
    published = published or page.default_date
    if published is None:
        page.notes.append(Note(shown, "date", "no date in the front matter: set to 1970-01-01"))
        published = datetime(1970, 1, 1, tzinfo=UTC)
    updated_value = next((meta[k] for k in ("lastmod", "updated", "last_modified_at",
                                            "modified") if k in meta), None)
    updated = when(updated_value, source.zone) if updated_value is not None else None
    tags = (["page"] if page.is_page else []) + _words(meta.get("tags")) + \
        _words(meta.get("categories")) + _words(meta.get("category"))
    author = meta.get("author") or meta.get("authors")
    if isinstance(author, list):
        author = ", ".join(str(a) for a in author)
    summary = next((meta[k] for k in ("description", "summary", "excerpt")
                    if isinstance(meta.get(k), str) and meta[k].strip()), None)
    lang = meta.get("lang") or meta.get("language")
    dropped = sorted(str(k) for k in meta if str(k).lower() not in _MAPPED)
    if dropped:
        page.notes.append(Note(shown, f"front matter {', '.join(dropped)}", "mirrorpub has no "
                               "such keys: dropped"))
    return Front(title=title, date=published, slug=page.slug,
                 author=one_line(str(author)) if author else None,
                 tags=unique_tags(tags),
                 lang=lang if isinstance(lang, str) and _LANGUAGE.fullmatch(lang) else None,
                 summary=summary, draft=page.draft,
                 updated=updated if updated and updated > published else None,
                 origin=f"imported from {source.kind}: {page.rel}")


# --- URLs -------------------------------------------------------------------------------

class SiteLinks:
    """Where a URL of the old site leads in the new content folder."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.by_rel = {p.rel: p for p in source.pages}
        self.by_name: dict[str, Page] = {}
        for page in source.pages:
            for name in (page.slug, page.name):
                if name:
                    self.by_name.setdefault(name.lower(), page)
        base = urlsplit(source.base_url) if source.base_url else None
        self.host = (base.hostname or "").lower() if base else ""
        self.prefix = base.path.rstrip("/") if base else ""

    def page_by_path(self, path: str) -> Page | None:
        clean = posixpath.normpath(path).lstrip("./")
        for candidate in (clean, clean + ".md", clean + "/index.md", clean + "/_index.md",
                          clean + ".markdown"):
            if candidate in self.by_rel:
                return self.by_rel[candidate]
        return None

    def page_by_url(self, path: str) -> Page | None:
        segments = [s for s in unquote(path).lower().split("/") if s]
        if not segments:
            return None
        name = segments[-1]
        for suffix in (".html", ".htm", ".md"):
            name = name.removesuffix(suffix)
        return self.by_name.get(name)

    def site_path(self, url: str) -> str | None:
        """The path of an URL on the old site (`/posts/x/`), or None if it is elsewhere."""
        parts = urlsplit(url)
        if parts.scheme and (not self.host or (parts.hostname or "").lower().removeprefix(
                "www.") != self.host.removeprefix("www.")):
            return None
        path = unquote(parts.path)
        if self.prefix and path.startswith(self.prefix + "/"):
            path = path[len(self.prefix):]
        return path

    def static_file(self, path: str) -> tuple[Path, str] | None:
        for folder, out in self.source.file_roots:
            candidate = _inside(folder, path.lstrip("/"))
            if candidate is not None:
                return candidate, posixpath.join(out, path.lstrip("/"))
        return None


def _inside(folder: Path, rel: str) -> Path | None:
    clean = posixpath.normpath(rel)
    if not rel or clean.startswith(("..", "/")) or "\x00" in clean:
        return None
    path = folder / clean
    try:
        if path.is_file() and path.resolve().is_relative_to(folder.resolve()):
            return path
    except OSError:
        return None
    return None


_RESOLVED = re.compile("\x00r(\\d+)\x00")


class PageResolver:
    """The Resolver (importers/htmlmd.py) for one Hugo or Jekyll page."""

    def __init__(self, links: SiteLinks, page: Page, shown: str,
                 files: dict[str, Path]) -> None:
        self.links = links
        self.page = page
        self.shown = shown
        self.files = files  # content path -> source file, shared by every page
        self.resolved: list[str] = []  # what macros (ref, post_url) already resolved

    def token(self, target: str) -> str:
        """A marker for a destination a macro found, so the link pass takes it as is."""
        self.resolved.append(target)
        return f"\x00r{len(self.resolved) - 1}\x00"

    def untoken(self, text: str) -> str:
        return _RESOLVED.sub(lambda m: self.resolved[int(m.group(1))], text)

    def note(self, what: str, why: str) -> None:
        self.page.notes.append(Note(self.shown, what, why))

    def link(self, url: str) -> str | None:
        url = url.strip()
        if not url or url.startswith("#") or _RESOLVED.fullmatch(url):
            return url or None
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme in _KEPT_SCHEMES:
            return quote(url, safe="/:?#[]@!$&'*+,;=%-._~")
        if scheme not in ("", "http", "https"):
            self.note(url, f"a {scheme}: link, which copies cannot carry: only its text kept")
            return None
        if url.startswith("//"):
            url = "https:" + url
        found = self._local(url)
        if found is not None:
            return found + (f"#{parts.fragment}" if parts.fragment else "")
        if parts.scheme:
            return quote(url, safe="/:?#[]@!$&'*+,;=%-._~")
        return self._lost(url)

    def image(self, url: str) -> tuple[bool, str | None]:
        url = url.strip()
        if url.startswith("data:") or _RESOLVED.fullmatch(url):
            return True, url
        found = self._local(url, files_only=True)
        if found is not None:
            return True, found
        if urlsplit(url).scheme in ("http", "https"):
            self.note(url, "an image on another site: left as a link (copies load nothing "
                      "from elsewhere)")
            return False, quote(url, safe="/:?#[]@!$&'*+,;=%-._~")
        return False, self._lost(url)

    def _lost(self, url: str) -> str | None:
        base = self.links.source.base_url
        if base and urlsplit(url).path.startswith("/"):
            absolute = base.rstrip("/") + urlsplit(url).path
            self.note(url, "no article or file here for it: left pointing at the old site")
            return quote(absolute, safe="/:?#[]@!$&'*+,;=%-._~")
        self.note(url, "no article or file here for it, and the old site's address is not "
                  "known: only its text kept")
        return None

    def _local(self, url: str, *, files_only: bool = False) -> str | None:
        parts = urlsplit(url)
        if parts.scheme or parts.path.startswith("/"):
            path = self.links.site_path(url)
            if path is None:
                return None
            found = self.links.static_file(path)
            if found is not None:
                return self._copy(*found)
            page = None if files_only else self.links.page_by_url(path)
        else:
            folder = posixpath.dirname(self.page.rel)
            joined = posixpath.normpath(posixpath.join(folder, unquote(parts.path)))
            file = _inside(self.links.source.root, joined)
            if file is not None and not joined.endswith((".md", ".markdown")):
                return self._copy(file, self._out_of(joined))
            page = None if files_only else (self.links.page_by_path(joined) or
                                            self.links.page_by_url(parts.path))
        if page is None:
            return None
        if page.draft and not self.page.draft:
            self.note(url, f"links to {page.out}, which is a draft: only its text kept")
            return None
        return relative_link(page.out, self.page.out)

    def _out_of(self, rel: str) -> str:
        """Where a file beside the articles goes: as far from them as it was."""
        return posixpath.normpath(posixpath.join(posixpath.dirname(self.page.out),
                                                 posixpath.relpath(rel, posixpath.dirname(
                                                     self.page.rel) or ".")))

    def _copy(self, source: Path, out: str) -> str:
        if out.startswith("..") or any(p.startswith(".") for p in out.split("/")):
            self.note(str(source.name), "a file outside the folder imported: not copied")
            return "#"
        self.files.setdefault(out, source)
        return relative_link(out, self.page.out)


# --- the import -------------------------------------------------------------------------

def import_source(source: Source, output: Path, *, force: bool,
                  shown_output: str) -> ImportReport:
    book = SlugBook(existing_slugs(output))
    for page in sorted(source.pages, key=lambda p: p.draft):
        wanted = wanted_slug(page, f"{source.shown}/{page.rel}")
        page.slug, _ = book.claim(wanted, slugify(Path(page.rel).parent.name or "page"),
                                  lambda slug, p=page: p.out)
    links = SiteLinks(source)
    files: dict[str, Path] = dict(source.bundle_files)
    report = ImportReport(source=source.shown, output=shown_output)
    report.notes.extend(source.source_notes)
    writer = StagedWriter(output, shown_output, force=force)
    try:
        for page in source.pages:
            shown = f"{shown_output}/{page.out}"
            page.front = map_front(page, source, shown)
            resolver = PageResolver(links, page, shown, files)
            text = article_text(page.front, _body(page, source, resolver))
            writer.add_article(page.out, text)
            report.articles += 1
            report.drafts += page.draft
            report.pages += page.is_page
            report.notes.extend(dict.fromkeys(page.notes))
        for rel, path in sorted(files.items()):
            writer.add_file(rel, path)
        report.files = len(files)
        outcome = writer.commit()
    except BaseException:
        writer.abort()
        raise
    report.record(outcome)
    return report


def _body(page: Page, source: Source, resolver: PageResolver) -> str:
    def target(path: str) -> str | None:
        """A ref, relref, post_url or link macro's article or file, from this page."""
        links = resolver.links
        here = posixpath.join(posixpath.dirname(page.rel), path)
        found = links.page_by_path(here) or links.page_by_path(path) or \
            links.page_by_url(path)
        if found is not None:
            return resolver.token(relative_link(found.out, page.out))
        local = resolver._local("/" + path.lstrip("/"), files_only=True)
        return resolver.token(local) if local is not None else None

    text = source.macros(page, target, resolver.note)
    if page.source.suffix.lower() in HTML_SUFFIXES:
        return resolver.untoken(to_markdown(text, resolver))
    masked, restore = mask_code(rewrite_links(text, resolver))
    return resolver.untoken(restore(_BLANK_LINES.sub("\n\n", masked)).strip("\n"))
