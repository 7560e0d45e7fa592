"""What each URL of one post becomes: a link to another imported article's `.md` file
(so `mirrorpub build` checks it), a file copied next to the article, or a link to the
old site or elsewhere, with a report line where something was lost."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

from mirrorpub.content.slugs import path_segment
from mirrorpub.importers.htmlmd import query_id
from mirrorpub.importers.plan import relative_link
from mirrorpub.importers.report import Note
from mirrorpub.importers.wordpress.files import Uploads, uploads_path
from mirrorpub.importers.wordpress.site import Entry, SiteIndex, link_key

_KEPT_SCHEMES = {"mailto", "tel", "sms", "xmpp", "geo", "magnet", "irc", "ircs", "matrix",
                 "signal"}


def destination(url: str) -> str:
    """An URL as a markdown link destination: nothing in it ends the link early."""
    return quote(url, safe="/:?#[]@!$&'*+,;=%-._~")


class PostResolver:
    """The Resolver (importers/htmlmd.py) for one post."""

    def __init__(self, site: SiteIndex, uploads: Uploads | None, entry: Entry,
                 shown: str) -> None:
        self.site = site
        self.uploads = uploads
        self.entry = entry
        self.shown = shown
        self.files: dict[str, Path] = {}  # content-relative path -> the upload copied there
        self._names: dict[Path, str] = {}
        self._notes: dict[tuple[str, str], None] = {}

    @property
    def notes(self) -> list[Note]:
        return [Note(self.shown, what, why) for what, why in self._notes]

    def note(self, what: str, why: str) -> None:
        self._notes[(what, why)] = None

    def _absolute(self, url: str) -> str | None:
        if url.startswith("//"):
            return "https:" + url
        if urlsplit(url).scheme:
            return url
        base = self.entry.link or self.site.base_url
        return urljoin(base, url) if base else None

    def link(self, url: str) -> str | None:
        url = url.strip()
        if not url or url.startswith("#"):
            return url or None
        scheme = urlsplit(url).scheme.lower()
        if scheme in _KEPT_SCHEMES:
            return destination(url)
        if scheme not in ("", "http", "https"):
            self.note(url, f"a {scheme}: link, which copies cannot carry: only its text kept")
            return None
        absolute = self._absolute(url)
        if absolute is None:
            self.note(url, "a relative link, and the export names no site address: only "
                      "its text kept")
            return None
        if uploads_path(absolute) is not None:
            return self._file(absolute)[1]
        if self.site.same_site(absolute):
            return self._internal(absolute)
        return destination(absolute)

    def image(self, url: str) -> tuple[bool, str | None]:
        url = url.strip()
        if url.startswith("data:"):
            return True, url
        absolute = self._absolute(url)
        if absolute is None or urlsplit(absolute).scheme not in ("http", "https"):
            self.note(url, "an image that cannot be found: removed")
            return False, None
        if uploads_path(absolute) is not None:
            return self._file(absolute)
        self.note(absolute, "an image on another site: left as a link (copies load "
                  "nothing from elsewhere)")
        return False, destination(absolute)

    def _file(self, url: str) -> tuple[bool, str]:
        rel = uploads_path(url) or ""
        if self.entry.withheld:
            self.note(url, f"not copied: the post is {self.entry.draft_reason}, and files "
                      "next to it are on every copy; left as a link")
        elif self.uploads is None:
            self.note(url, "an uploaded file, and no --uploads folder was given: left as a "
                      "link")
        else:
            found = self.uploads.find(rel)
            if found is not None:
                return True, self._copy(found)
            self.note(url, "not found under --uploads (nor the original of a resized copy): "
                      "left as a link")
        return False, destination(url)

    def _copy(self, source: Path) -> str:
        name = self._names.get(source)
        if name is None:
            name = self._free_name(path_segment(source.name))
            self._names[source] = name
            folder = self.entry.rel.removesuffix(".md")
            self.files[f"{folder}/{name}"] = source
        return relative_link(f"{self.entry.rel.removesuffix('.md')}/{name}", self.entry.rel)

    def _free_name(self, name: str) -> str:
        taken = set(self._names.values())
        stem, dot, ext = name.rpartition(".")
        if not dot:
            stem, ext = name, ""
        candidate, n = name, 1
        while candidate in taken:
            n += 1
            candidate = f"{stem}-{n}.{ext}" if ext else f"{stem}-{n}"
        return candidate

    def _internal(self, url: str) -> str:
        fragment = urlsplit(url).fragment
        attachment = self._attachment(url)
        if attachment is not None:
            return self._file(attachment)[1] if uploads_path(attachment) is not None else \
                destination(attachment)
        target = self._post(url)
        if target is None:
            self.note(url, "a page of the old site that is no imported article: left "
                      "pointing at the old site")
            return destination(url)
        if target.draft_reason and not self.entry.draft_reason:
            self.note(url, f"links to {target.rel}, which is {target.draft_reason} and so "
                      "imported as a draft: left pointing at the old site")
            return destination(url)
        link = relative_link(target.rel, self.entry.rel)
        return f"{link}#{quote(fragment, safe='-._~')}" if fragment else link

    def _post(self, url: str) -> Entry | None:
        post_id = query_id(url, "p", "page_id")
        if post_id is not None:
            return self.site.entries.get(post_id)
        return self.site.find_post(url)

    def _attachment(self, url: str) -> str | None:
        attachment_id = query_id(url, "attachment_id")
        if attachment_id is None:
            attachment_id = self.site.attachment_links.get(link_key(url))
        attachment = self.site.attachments.get(attachment_id) if attachment_id else None
        return attachment.url if attachment else None
