"""A deterministic corpus of news articles, written both as a mirrorpub site and a Pelican site.

    .venv/bin/python benchmarks/corpus.py --articles 2000 --out benchmarks/work/c2000

writes
    OUT/mirrorpub/mirrorpub.toml, OUT/mirrorpub/content/news/article-NNNNN.md, …/img/*.png
    OUT/pelican/pelicanconf.py,   OUT/pelican/content/news/article-NNNNN.md,   …/img/*.png

Both sites hold the same bodies (600–1200 words: headings, lists, tables, quotes, links to
other articles by file name, a few images) and the same titles, dates, slugs and tags; only
the metadata header and the link syntax differ (Pelican spells an article link
`{filename}other.md` and an image `{static}img/x.png`). The same seed gives the same bytes.

`edit_one(OUT)` makes the benchmark's "one edit": one word changed in the middle of one
article's body in both sites (not its first paragraph, so no summary changes).
`add_new(OUT, count)` makes its "new article": one more story, newer than all the others.
"""

from __future__ import annotations

import argparse
import itertools
import random
import struct
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

SEED = 20261125
TAG_POOL = 60
IMAGE_EVERY = 50  # one article in this many shows a photo
EDIT_MARK = "corrected"
_SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "be", "da", "ge", "ji", "ko",
              "ma", "no", "pa", "ri", "su", "te", "ul", "an", "er", "in", "or", "us", "ba",
              "ch", "sh", "ty", "zy", "ak", "el", "im", "ob", "ut", "kyr", "gyz", "tan", "bek",
              "ata", "nur", "sul", "tal", "ash", "ish", "ov", "ev", "ist", "ion", "ment"]


@dataclass(frozen=True)
class Piece:
    """One article, in a neutral form both writers turn into their own syntax."""

    number: int
    title: str
    date: datetime
    author: str
    tags: tuple[str, ...]
    blocks: tuple[str, ...]  # markdown with {ART:n} and {IMG:name} placeholders

    @property
    def stem(self) -> str:
        return f"article-{self.number:05d}"

    @property
    def slug(self) -> str:
        return self.stem


class _Words:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        vocab = set()
        while len(vocab) < 3000:
            vocab.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 4))))
        self.vocab = sorted(vocab)
        rng.shuffle(self.vocab)
        # Zipf-like: common words come up far more often, as in real text.
        self.cumulative = list(itertools.accumulate(1.0 / (rank + 1)
                                                    for rank in range(len(self.vocab))))

    def words(self, n: int) -> list[str]:
        return self.rng.choices(self.vocab, cum_weights=self.cumulative, k=n)

    def sentence(self) -> str:
        words = self.words(self.rng.randint(8, 22))
        words[0] = words[0].capitalize()
        if self.rng.random() < 0.15:
            i = self.rng.randrange(len(words))
            words[i] = f"**{words[i]}**"
        elif self.rng.random() < 0.15:
            i = self.rng.randrange(len(words))
            words[i] = f"*{words[i]}*"
        return " ".join(words) + self.rng.choice([".", ".", ".", "?", "!"])

    def title(self) -> str:
        words = self.words(self.rng.randint(4, 9))
        return " ".join(w.capitalize() if i == 0 else w for i, w in enumerate(words))


START = datetime(2020, 1, 1, 8, 0, tzinfo=UTC)


def make_pieces(count: int, seed: int = SEED) -> list[Piece]:
    rng, words, tags, authors = _pools(seed)
    tag_weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(tags))]
    pieces = []
    for n in range(1, count + 1):
        chosen = tuple(dict.fromkeys(rng.choices(tags, tag_weights, k=rng.randint(1, 4))))
        date = START + timedelta(minutes=n * 97 + rng.randint(0, 60))
        pieces.append(Piece(number=n, title=words.title(), date=date,
                            author=rng.choice(authors), tags=chosen,
                            blocks=tuple(_body(rng, words, n, count))))
    return pieces


def _pools(seed: int) -> tuple[random.Random, _Words, list[str], list[str]]:
    """The generator, its words, the corpus's tags and authors: the same for one seed."""
    rng = random.Random(seed)
    words = _Words(rng)
    tags = sorted({"-".join(words.words(rng.randint(1, 2))) for _ in range(TAG_POOL * 2)})
    authors = [f"{w.capitalize()} {v.capitalize()}" for w, v in
               zip(words.words(12), words.words(12), strict=True)]
    return rng, words, tags[:TAG_POOL], authors


def new_piece(count: int, round_no: int = 1, seed: int = SEED) -> Piece:
    """The benchmark's "new article" number `round_no` after a corpus of `count`: newer
    than every article before it, with tags and authors of the corpus."""
    rng, words, tags, authors = _pools(seed)
    rng.seed(seed * 1000 + round_no)
    number = count + round_no
    return Piece(number=number, title=words.title(),
                 date=START + timedelta(minutes=number * 97),  # after n * 97 + 60 before it
                 author=rng.choice(authors), tags=tuple(dict.fromkeys(rng.sample(tags, 2))),
                 blocks=tuple(_body(rng, words, number, count)))


def _body(rng: random.Random, words: _Words, n: int, count: int) -> list[str]:
    target = rng.randint(600, 1200)
    blocks = [_paragraph(rng, words, 3, 5)]
    if n % IMAGE_EVERY == 0:
        blocks.append(f"![{' '.join(words.words(3))}]({{IMG:{_image_name(n)}}})")
    links = rng.randint(2, 4)
    while _word_count(blocks) < target:
        blocks.append("## " + words.title())
        for _ in range(rng.randint(1, 3)):
            paragraph = _paragraph(rng, words, 2, 6)
            if links and count > 1:
                other = rng.randint(1, count - 1)
                other = other + 1 if other >= n else other
                paragraph += f" See [{' '.join(words.words(3))}]({{ART:{other}}})."
                links -= 1
            blocks.append(paragraph)
        roll = rng.random()
        if roll < 0.3:
            marker = "1." if rng.random() < 0.4 else "-"
            blocks.append("\n".join(f"{marker} {words.sentence()}"
                                    for _ in range(rng.randint(3, 6))))
        elif roll < 0.45:
            blocks.append(_table(rng, words))
        elif roll < 0.55:
            blocks.append("> " + words.sentence() + " " + words.sentence())
        elif roll < 0.6:
            blocks.append(f"Source: [{words.title()}](https://example.org/{n}/"
                          f"{'-'.join(words.words(3))})")
    return blocks


def _paragraph(rng: random.Random, words: _Words, low: int, high: int) -> str:
    return " ".join(words.sentence() for _ in range(rng.randint(low, high)))


def _table(rng: random.Random, words: _Words) -> str:
    head = [w.capitalize() for w in words.words(3)]
    rows = [f"| {' | '.join(head)} |", "|---|---|---:|"]
    for _ in range(rng.randint(3, 6)):
        a, b = words.words(2)
        rows.append(f"| {a} | {b} | {rng.randint(1, 99999):,} |")
    return "\n".join(rows)


def _word_count(blocks: list[str]) -> int:
    return sum(len(b.split()) for b in blocks)


def _image_name(n: int) -> str:
    return f"photo-{n // IMAGE_EVERY:04d}.png"


def png(seed: int, width: int = 96, height: int = 96) -> bytes:
    """A valid PNG of noise (so it does not compress away): ~28 KB, like a small photo."""
    rng = random.Random(seed)
    rows = b"".join(b"\x00" + rng.randbytes(width * 3) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b""))


# --- the two writers ----------------------------------------------------------------------

def _fill(block: str, article_link: str, image_link: str) -> str:
    out = block
    while "{ART:" in out:
        start = out.index("{ART:")
        end = out.index("}", start)
        number = int(out[start + 5:end])
        out = out[:start] + article_link.format(stem=f"article-{number:05d}") + out[end + 1:]
    while "{IMG:" in out:
        start = out.index("{IMG:")
        end = out.index("}", start)
        out = out[:start] + image_link.format(name=out[start + 5:end]) + out[end + 1:]
    return out


def mirrorpub_text(piece: Piece) -> str:
    tags = ", ".join(piece.tags)
    head = ["---", f'title: "{piece.title}"', f"date: {piece.date.isoformat()}",
            f"author: {piece.author}", f"tags: [{tags}]", "---", ""]
    body = [_fill(b, "{stem}.md", "img/{name}") for b in piece.blocks]
    return "\n".join(head) + "\n\n".join(body) + "\n"


def pelican_text(piece: Piece) -> str:
    head = [f"Title: {piece.title}", f"Date: {piece.date.strftime('%Y-%m-%d %H:%M')}",
            f"Author: {piece.author}", f"Tags: {', '.join(piece.tags)}",
            f"Slug: {piece.slug}", ""]
    body = [_fill(b, "{{filename}}{stem}.md", "{{static}}img/{name}") for b in piece.blocks]
    return "\n".join(head) + "\n" + "\n\n".join(body) + "\n"


MIRRORPUB_TOML = """[site]
title = "Benchmark News"
language = "en"
description = "A generated corpus for benchmarks"
per_page = 20
"""

# Pelican doing the same job as mirrorpub: one page per article, paginated index, paginated
# tag pages, one Atom feed of every article, static images copied; relative URLs; the
# bundled "simple" theme; the same markdown extensions (extra, sane_lists).
PELICANCONF = """AUTHOR = "Benchmark"
SITENAME = "Benchmark News"
SITEURL = ""
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
PATH = "content"
THEME = "simple"
RELATIVE_URLS = True
DEFAULT_PAGINATION = 20
PAGINATED_TEMPLATES = {"index": None, "tag": None}
ARTICLE_URL = ARTICLE_SAVE_AS = "articles/{slug}.html"
TAG_URL = TAG_SAVE_AS = "tags/{slug}.html"
DIRECT_TEMPLATES = ["index"]
CATEGORY_SAVE_AS = AUTHOR_SAVE_AS = ARCHIVES_SAVE_AS = ""
CATEGORIES_SAVE_AS = AUTHORS_SAVE_AS = TAGS_SAVE_AS = ""
PAGE_PATHS = []
STATIC_PATHS = ["news/img"]
FEED_DOMAIN = "https://example.org"
FEED_ALL_ATOM = "feed.xml"
FEED_ALL_RSS = CATEGORY_FEED_ATOM = CATEGORY_FEED_RSS = None
AUTHOR_FEED_ATOM = AUTHOR_FEED_RSS = TAG_FEED_ATOM = TAG_FEED_RSS = None
TRANSLATION_FEED_ATOM = TRANSLATION_FEED_RSS = None
FEED_MAX_ITEMS = None
MARKDOWN = {"extensions": ["markdown.extensions.extra", "markdown.extensions.sane_lists"],
            "output_format": "html5"}
CACHE_CONTENT = True
LOAD_CONTENT_CACHE = True
CONTENT_CACHING_LAYER = "reader"
CHECK_MODIFIED_METHOD = "mtime"
DELETE_OUTPUT_DIRECTORY = False
"""


SITES = {"mirrorpub": mirrorpub_text, "pelican": pelican_text}


def write(out: Path, count: int, seed: int = SEED,
          sites: tuple[str, ...] = ("mirrorpub", "pelican")) -> None:
    pieces = make_pieces(count, seed)
    for name in sites:
        render = SITES[name]
        news = out / name / "content" / "news"
        (news / "img").mkdir(parents=True, exist_ok=True)
        for piece in pieces:
            (news / f"{piece.stem}.md").write_text(render(piece), encoding="utf-8")
        for n in range(IMAGE_EVERY, count + 1, IMAGE_EVERY):
            (news / "img" / _image_name(n)).write_bytes(png(n))
    for name, text in (("mirrorpub", MIRRORPUB_TOML), ("pelican", PELICANCONF)):
        if name in sites:
            conf = "mirrorpub.toml" if name == "mirrorpub" else "pelicanconf.py"
            (out / name / conf).write_text(text, encoding="utf-8")


def add_new(out: Path, count: int, round_no: int = 1,
            sites: tuple[str, ...] = ("mirrorpub", "pelican")) -> Piece:
    """Write the "new article" (new_piece) into each site; return it."""
    piece = new_piece(count, round_no)
    for name in sites:
        path = out / name / "content" / "news" / f"{piece.stem}.md"
        path.write_text(SITES[name](piece), encoding="utf-8")
    return piece


def edit_target(count: int) -> str:
    return f"article-{(count // 2) or 1:05d}.md"


def edit_one(out: Path, count: int, round_no: int = 1) -> str:
    """Change one word in the middle of one article, in both sites; return its file name."""
    name = edit_target(count)
    paths = [out / site / "content" / "news" / name for site in ("mirrorpub", "pelican")]
    lines = paths[0].read_text(encoding="utf-8").split("\n")
    # A plain paragraph line reads the same in both sites: no link syntax in it.
    line = next(lines[i] for i in range(len(lines) // 2, len(lines))
                if lines[i][:1].isalpha() and "](" not in lines[i])
    words = line.split(" ")
    words[len(words) // 2] = f"{EDIT_MARK}{round_no}"
    for path in paths:
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace(line, " ".join(words), 1), encoding="utf-8")
    return name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    write(args.out, args.articles, args.seed)


if __name__ == "__main__":
    main()
