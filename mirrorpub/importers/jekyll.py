"""`mirrorpub import jekyll SITE` (SPEC §13): a Jekyll site's folder.

`_posts/2019-05-03-name.md` becomes `posts/2019-05-03-name.md` (the date from its name),
`_drafts/` become drafts, and pages (markdown files with front matter outside the `_`
folders) keep their paths, tagged `page`. Files the articles use (`/assets/…`, relative
paths) are copied to the same place under the content folder. Liquid: `raw`, `highlight`
(a code block), `post_url` and `link` (the other article's or file's path), the site's
`baseurl`/`url` and `relative_url` are carried over; every other tag is removed and
reported, the text between block tags kept.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mirrorpub.importers.report import ImportReport, Note
from mirrorpub.importers.staticsite import (
    Page,
    Source,
    import_source,
    read_text,
    split_front_matter,
)

CONTENT = (".md", ".markdown", ".mkd", ".mkdn", ".html", ".htm")
_POST_NAME = re.compile(r"^(?P<date>\d{4}-\d{2}-\d{2})-(?P<name>.+)$")
_SKIPPED = {"_site", "vendor", "node_modules", ".bundle", ".jekyll-cache", ".sass-cache"}
_NOT_PAGES = {"readme", "license", "changelog", "contributing", "code_of_conduct"}
_RAW = re.compile(r"\{%-?\s*raw\s*-?%\}(.*?)\{%-?\s*endraw\s*-?%\}", re.DOTALL)
_HIGHLIGHT = re.compile(r"\{%-?\s*highlight\s+([\w+#.-]+)[^%]*-?%\}\n?(.*?)\n?"
                        r"\{%-?\s*endhighlight\s*-?%\}", re.DOTALL)
_COMMENT = re.compile(r"\{%-?\s*comment\s*-?%\}.*?\{%-?\s*endcomment\s*-?%\}", re.DOTALL)
_TAG = re.compile(r"\{%-?\s*(\w+)(.*?)-?%\}", re.DOTALL)
_OUTPUT = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}", re.DOTALL)
_SITE_URL = re.compile(r"^site\.(?:baseurl|url)(?:\s*\|\s*append:\s*site\.(?:baseurl|url))?$")
_URL_FILTER = re.compile(r"""^["']([^"']*)["']\s*\|\s*(?:relative_url|absolute_url|"""
                         r"""prepend:\s*site\.(?:baseurl|url))\s*$""")


def import_jekyll(source: Path, output: Path, *, force: bool = False,
                  shown_source: str | None = None,
                  shown_output: str | None = None) -> ImportReport:
    shown = shown_source or str(source)
    config = _config(source)
    zone = _zone(config.get("timezone"))
    pages, notes = _walk(source, shown, zone)
    base = str(config.get("url") or "").rstrip("/") + str(config.get("baseurl") or "")
    jekyll = Source(kind="Jekyll", root=source, shown=shown, pages=pages,
                    file_roots=[(source, "")], base_url=base if "://" in base else "",
                    zone=zone, macros=expand_liquid, source_notes=notes)
    return import_source(jekyll, output, force=force, shown_output=shown_output or str(output))


def _config(source: Path) -> dict[str, Any]:
    path = source / "_config.yml"
    if not path.is_file():
        return {}
    import yaml

    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}  # only a hint (the site's address, its time zone)
    return data if isinstance(data, dict) else {}


def _zone(name: Any) -> tzinfo:
    try:
        return ZoneInfo(name) if isinstance(name, str) and name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _walk(source: Path, shown: str, zone: tzinfo) -> tuple[list[Page], list[Note]]:
    pages: list[Page] = []
    notes: list[Note] = []
    root = source.resolve()
    for folder, dirs, names in os.walk(source):
        rel_folder = Path(folder).relative_to(source).as_posix()
        top = rel_folder.split("/")[0]
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIPPED and
                         (rel_folder != "." or not d.startswith("_") or
                          d in ("_posts", "_drafts")))
        for name in sorted(n for n in names if n.lower().endswith(CONTENT)):
            path = Path(folder) / name
            rel = path.relative_to(source).as_posix()
            if not path.resolve().is_relative_to(root):
                continue
            kind = top if top in ("_posts", "_drafts") else "page"
            page = _page(path, rel, kind, shown, zone, notes)
            if page is not None:
                pages.append(page)
    return pages, notes


def _page(path: Path, rel: str, kind: str, shown: str, zone: tzinfo,
          notes: list[Note]) -> Page | None:
    text = read_text(path, f"{shown}/{rel}")
    if kind == "page" and not text.startswith("---"):
        return None  # no front matter: Jekyll copies it as it is; not an article
    stem = path.name.rsplit(".", 1)[0]
    if kind == "page" and (stem.lower() in _NOT_PAGES or stem == "index" or stem == "404"):
        if stem in ("index", "404"):
            notes.append(Note(f"{shown}/{rel}", "the site's own page",
                              "skipped (mirrorpub makes its own index and error pages)"))
        return None
    meta, body = split_front_matter(text, f"{shown}/{rel}")
    meta = {str(k).lower(): v for k, v in meta.items()}
    named = _POST_NAME.match(stem)
    day = datetime.fromisoformat(named.group("date")).replace(tzinfo=zone) if named else None
    out = {"_posts": "posts", "_drafts": "drafts"}.get(kind, "")
    out_rel = (rel if not out else out + rel[len(kind):]).rsplit(".", 1)[0] + ".md"
    return Page(source=path, rel=rel, out=out_rel, meta=meta, body=body,
                is_page=kind == "page",
                draft=kind == "_drafts" or meta.get("published") is False,
                name=named.group("name") if named else stem, default_date=day)


def expand_liquid(page: Page, target: Callable[[str], str | None],
                  note: Callable[[str, str], None]) -> str:
    kept: list[str] = []

    def keep(text: str) -> str:
        kept.append(text)
        return f"\x00l{len(kept) - 1}\x00"

    text = _RAW.sub(lambda m: keep(m.group(1)), page.body)
    text = _HIGHLIGHT.sub(lambda m: keep(f"```{m.group(1)}\n{m.group(2)}\n```"), text)
    text = _COMMENT.sub("", text)
    text = _TAG.sub(lambda m: _tag(m, target, note), text)
    text = _OUTPUT.sub(lambda m: _output(m.group(1).strip(), note), text)
    return re.sub("\x00l(\\d+)\x00", lambda m: kept[int(m.group(1))], text)


def _tag(match: re.Match[str], target: Callable[[str], str | None],
         note: Callable[[str, str], None]) -> str:
    name, argument = match.group(1), match.group(2).strip()
    if name in ("post_url", "link"):
        path = f"_posts/{argument}" if name == "post_url" else argument
        found = target(path)
        if found is None:
            note(f"{{% {name} {argument} %}}", "no such post or file in the site: the link "
                 "goes nowhere")
            return "#"
        return found
    if name == "include":
        note(f"{{% include {argument} %}}", "a piece of the theme: removed")
    else:
        note(f"{{% {name} %}}", "a Liquid tag: removed (mirrorpub runs no templates in "
             "articles)")
    return ""


def _output(expression: str, note: Callable[[str, str], None]) -> str:
    if _SITE_URL.match(expression):
        return ""  # links are relative on every copy
    url = _URL_FILTER.match(expression)
    if url:
        return url.group(1)
    note(f"{{{{ {expression} }}}}", "a Liquid value: removed (mirrorpub runs no templates "
         "in articles)")
    return ""
