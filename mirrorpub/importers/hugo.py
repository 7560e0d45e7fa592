"""`mirrorpub import hugo SITE/content` (SPEC §13): a Hugo content folder.

Articles keep their paths (`posts/x.md`, bundles' `posts/x/index.md`), every other file
of the folder (page bundles' images, section files) is copied where it was, and files
the articles name from the site root (`/images/x.png`) are found in `static/` and
`assets/` beside the content folder. Shortcodes become markdown: figure, youtube, vimeo,
tweet, instagram, gist (links, noted), highlight (a code block), ref and relref (the
other article's file); others are removed and noted, the text inside them kept.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Callable
from datetime import UTC, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mirrorpub.importers.report import ImportReport, Note
from mirrorpub.importers.shortcodes import hugo_attributes
from mirrorpub.importers.staticsite import (
    Page,
    Source,
    import_source,
    read_text,
    split_front_matter,
)

CONTENT = (".md", ".markdown", ".mdown", ".html", ".htm")
UNSUPPORTED = {".org": "Org", ".adoc": "AsciiDoc", ".asciidoc": "AsciiDoc", ".ad": "AsciiDoc",
               ".rst": "reStructuredText", ".pandoc": "Pandoc", ".pdc": "Pandoc"}
_LANG_SUFFIX = re.compile(r"^(?P<stem>.+)\.(?P<lang>[a-z]{2,3}(?:-[a-zA-Z0-9]{2,8})?)$")
_COMMENT = re.compile(r"\{\{([<%])\s*/\*(.*?)\*/\s*([>%])\}\}", re.DOTALL)
_SHORTCODE = re.compile(r"\{\{([<%])-?\s*(/?)\s*([\w./-]+)((?:\"(?:[^\"\\]|\\.)*\"|`[^`]*`|"
                        r"[^\"`])*?)\s*(/?)\s*-?([>%])\}\}", re.DOTALL)
_EMBEDS = {"youtube": "https://www.youtube.com/watch?v={id}", "vimeo": "https://vimeo.com/{id}",
           "instagram": "https://www.instagram.com/p/{id}/",
           "tweet": "https://twitter.com/{user}/status/{id}",
           "x": "https://x.com/{user}/status/{id}", "gist": "https://gist.github.com/{user}/{id}"}
_CONFIGS = ("hugo.toml", "config.toml", "hugo.yaml", "config.yaml", "hugo.yml", "config.yml",
            "hugo.json", "config.json")


def import_hugo(source: Path, output: Path, *, force: bool = False,
                shown_source: str | None = None,
                shown_output: str | None = None) -> ImportReport:
    shown = shown_source or str(source)
    site_root = source.resolve().parent
    config = _config(site_root)
    pages, files, notes = _walk(source, shown)
    hugo = Source(kind="Hugo", root=source, shown=shown, pages=pages,
                  file_roots=[(site_root / "static", ""), (site_root / "assets", "")],
                  base_url=str(config.get("baseurl") or config.get("baseURL") or ""),
                  zone=_zone(config.get("timezone")), macros=expand_shortcodes,
                  bundle_files=files, source_notes=notes)
    return import_source(hugo, output, force=force, shown_output=shown_output or str(output))


def _config(site_root: Path) -> dict[str, Any]:
    """The keys of the site's config this import uses (baseURL, timeZone), lowercased."""
    for name in _CONFIGS:
        path = site_root / name
        if not path.is_file():
            continue
        try:
            text = path.read_text("utf-8")
            if name.endswith(".toml"):
                data: Any = tomllib.loads(text)
            elif name.endswith(".json"):
                data = json.loads(text)
            else:
                import yaml

                data = yaml.safe_load(text)
        except (OSError, ValueError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            return {}
        except Exception:  # a YAML error: the config is only a hint here
            return {}
        return {str(k).lower(): v for k, v in data.items()} if isinstance(data, dict) else {}
    return {}


def _zone(name: Any) -> tzinfo:
    try:
        return ZoneInfo(name) if isinstance(name, str) and name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _walk(source: Path, shown: str) -> tuple[list[Page], dict[str, Path], list[Note]]:
    pages: list[Page] = []
    files: dict[str, Path] = {}
    notes: list[Note] = []
    root = source.resolve()
    for folder, dirs, names in os.walk(source):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(n for n in names if not n.startswith(".")):
            path = Path(folder) / name
            rel = path.relative_to(source).as_posix()
            if not path.resolve().is_relative_to(root):
                notes.append(Note(f"{shown}/{rel}", "a link out of the folder", "not copied"))
                continue
            suffix = path.suffix.lower()
            if suffix in UNSUPPORTED:
                notes.append(Note(f"{shown}/{rel}", f"{UNSUPPORTED[suffix]} content",
                                  "only markdown and HTML articles are imported: skipped"))
            elif suffix in CONTENT:
                page = _page(path, rel, shown, notes)
                if page is not None:
                    pages.append(page)
            else:
                files[rel] = path
    return pages, files, notes


def _page(path: Path, rel: str, shown: str, notes: list[Note]) -> Page | None:
    meta, body = split_front_matter(read_text(path, f"{shown}/{rel}"), f"{shown}/{rel}")
    meta = {str(k).lower(): v for k, v in meta.items()}
    stem = path.name.rsplit(".", 1)[0]
    lang = _LANG_SUFFIX.match(stem)
    if lang:  # about.ru.md: Hugo's translation by file name
        stem = lang.group("stem")
        meta.setdefault("lang", lang.group("lang"))
    section_page = stem == "_index"
    if section_page and not body.strip():
        notes.append(Note(f"{shown}/{rel}", "a section's list page", "has no text of its own: "
                          "skipped (mirrorpub makes its own lists)"))
        return None
    name = path.parent.name if stem in ("index", "_index") else stem
    out = rel.rsplit(".", 1)[0] + ".md"
    return Page(source=path, rel=rel, out=out, meta=meta, body=body, is_page=section_page,
                draft=meta.get("draft") is True, name=name)


# --- shortcodes -------------------------------------------------------------------------

def expand_shortcodes(page: Page, target: Callable[[str], str | None],
                      note: Callable[[str, str], None]) -> str:
    comments: list[str] = []

    def keep(match: re.Match[str]) -> str:  # {{</* x */>}} is the literal {{< x >}}
        comments.append("{{" + match.group(1) + match.group(2) + match.group(3) + "}}")
        return f"\x00c{len(comments) - 1}\x00"

    text = _expand(_COMMENT.sub(keep, page.body), target, note)
    return re.sub("\x00c(\\d+)\x00", lambda m: comments[int(m.group(1))], text)


def _expand(text: str, target: Callable[[str], str | None],
            note: Callable[[str, str], None]) -> str:
    out: list[str] = []
    at = 0
    while True:
        match = _SHORTCODE.search(text, at)
        if match is None:
            out.append(text[at:])
            return "".join(out)
        out.append(text[at:match.start()])
        at = match.end()
        closing, name = match.group(2), match.group(3)
        if closing:
            continue  # a closing tag whose opening was not found: dropped
        inner = None
        if not match.group(5):
            end = _closing(text, name, at)
            if end is not None:
                inner, at = text[at:end.start()], end.end()
        named, positional = hugo_attributes(match.group(4))
        out.append(_one(name, named, positional, inner, target, note))


def _closing(text: str, name: str, start: int) -> re.Match[str] | None:
    depth = 0
    for match in _SHORTCODE.finditer(text, start):
        if match.group(3) != name or match.group(5):
            continue
        if not match.group(2):
            depth += 1
        elif depth == 0:
            return match
        else:
            depth -= 1
    return None


def _one(name: str, named: dict[str, str], positional: list[str], inner: str | None,
         target: Callable[[str], str | None], note: Callable[[str, str], None]) -> str:
    key = name.lower()
    if key == "figure":
        return _figure(named)
    if key in _EMBEDS:
        return _embed(key, named, positional, note)
    if key == "highlight":
        language = positional[0] if positional else named.get("lang", "")
        return f"\n```{language}\n{(inner or '').strip(chr(10))}\n```\n"
    if key in ("ref", "relref"):
        path = named.get("path") or (positional[0] if positional else "")
        found = target(path.split("#")[0]) if path else None
        if found is None:
            note(f"{{{{< {name} {path} >}}}}", "no such article in the folder: the link "
                 "goes nowhere")
            return "#"
        return found + (f"#{path.split('#', 1)[1]}" if "#" in path else "")
    if key == "details":
        summary = named.get("summary", "")
        return (f"**{summary}**\n\n" if summary else "") + _expand(inner or "", target, note)
    note(f"{{{{< {name} >}}}}", "unknown shortcode: removed" +
         (" (the text inside it kept)" if inner and inner.strip() else ""))
    return _expand(inner or "", target, note)


def _figure(named: dict[str, str]) -> str:
    src = named.get("src", "")
    if not src:
        return ""
    alt = named.get("alt") or named.get("title") or ""
    image = f"![{alt}]({src})"
    if named.get("link"):
        image = f"[{image}]({named['link']})"
    caption = named.get("caption") or named.get("title") or ""
    return f"\n\n{image}\n\n" + (f"*{caption}*\n\n" if caption else "")


def _embed(key: str, named: dict[str, str], positional: list[str],
           note: Callable[[str, str], None]) -> str:
    values = {"id": named.get("id") or (positional[-1] if positional else ""),
              "user": named.get("user") or (positional[0] if len(positional) > 1 else "i")}
    if not values["id"]:
        return ""
    url = values["id"] if "://" in values["id"] else _EMBEDS[key].format(**values)
    note(url, "an embed: kept as a link (copies load nothing from elsewhere)")
    return f"[{url}]({url})"
