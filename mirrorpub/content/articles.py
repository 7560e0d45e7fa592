"""An article: its source read and hashed, its front matter checked, its slug and language
settled (SPEC §5)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import PurePosixPath

from mirrorpub.content.frontmatter import FrontMatter, decode, split
from mirrorpub.content.links import decoded
from mirrorpub.content.scan import ARTICLE_SUFFIX, ContentFile
from mirrorpub.content.slugs import slugify
from mirrorpub.errors import ContentError, raise_content_errors
from mirrorpub.layout import article_path


@dataclass(frozen=True)
class Article:
    rel: str
    shown: str
    sha256: str
    front: FrontMatter
    body: str
    body_line: int
    slug: str
    lang: str

    @property
    def output(self) -> str:
        return article_path(self.slug)

    @property
    def source_dir(self) -> str:
        parent = str(PurePosixPath(self.rel).parent)
        return "" if parent == "." else parent


def read_source(file: ContentFile, label: str) -> tuple[bytes, str]:
    try:
        with open(file.path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise ContentError(file.shown(label), f"cannot be read: {exc.strerror}") from None
    return raw, hashlib.sha256(raw).hexdigest()


def parse_article(file: ContentFile, label: str, raw: bytes, sha256: str,
                  site_language: str) -> Article:
    shown = file.shown(label)
    source = split(shown, decode(shown, raw))
    stem = PurePosixPath(file.rel).name[: -len(ARTICLE_SUFFIX)]
    return Article(
        rel=file.rel,
        shown=shown,
        sha256=sha256,
        front=source.front,
        body=source.body,
        body_line=source.body_line,
        slug=source.front.slug or slugify(stem),
        lang=source.front.lang or site_language,
    )


def check_unique_slugs(articles: list[Article]) -> None:
    seen: dict[str, Article] = {}
    errors = []
    for article in sorted(articles, key=lambda a: a.rel):
        other = seen.get(article.slug)
        if other is not None:
            errors.append(ContentError(article.shown, f"has the slug {article.slug!r}, like "
                                       f"{other.shown}; set a different 'slug:' in one of "
                                       "them", 1))
            continue
        seen[article.slug] = article
    raise_content_errors(errors)


def line_of(article: Article, needle: str) -> int | None:
    """Best guess at the line an URL or attribute came from: its first appearance in the
    body, as written, as a browser decodes it (`&#104;ttps:`, CSS escapes), or in any case
    (`OnLoad=`)."""
    if not needle:
        return None
    for reading, wanted in ((str, needle), (decoded, needle),
                            (lambda text: decoded(text).lower(), needle.lower())):
        for offset, line in enumerate(article.body.splitlines()):
            if wanted in reading(line):
                return article.body_line + offset
    return None
