"""Import a generated WordPress export of N posts (default 50,000): time and peak memory.

    .venv/bin/python benchmarks/bench_import.py [--posts 50000] [--work benchmarks/work/import]

The export is written once, deterministically, in the shape of a real one: classic-editor
posts (wpautop text, [caption], links to other posts by permalink and ?p=ID) and
block-editor posts (every third), tags and categories, one draft in ten, an attachment
and an uploaded image (a resized copy linked, the original on disk) in one post of ten,
comments. Two cases, each a real `mirrorpub import wordpress` command line: the first
import into an empty content folder, then the same import again (nothing changes).
Figures go to stdout and benchmarks/results/import.json.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import compile_package, machine, run, seconds, table

HERE = Path(__file__).resolve().parent
TEXT = ("election observers reported queues outside polling stations while the commission "
        "said turnout was higher than expected journalists were asked to leave the building "
        "before the count began and the results were announced the next morning")
WORDS = tuple(TEXT.split())
HEAD = """<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Bench News</title><link>https://bench.example.org</link>
<wp:wxr_version>1.2</wp:wxr_version><wp:base_site_url>https://bench.example.org</wp:base_site_url>
<wp:base_blog_url>https://bench.example.org</wp:base_blog_url>
<wp:author><wp:author_login><![CDATA[desk]]></wp:author_login>
<wp:author_display_name><![CDATA[News Desk]]></wp:author_display_name></wp:author>
"""


def _sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(12, 24))
    return " ".join(words).capitalize() + "."


def _date(n: int) -> tuple[str, str, int]:
    day = n // 12
    year, month, mday = 2010 + day // 336, 1 + (day // 28) % 12, 1 + day % 28
    hour = n % 12 + 8
    return (f"{year:04d}-{month:02d}-{mday:02d} {hour + 6:02d}:00:00",
            f"{year:04d}-{month:02d}-{mday:02d} {hour:02d}:00:00", year)


def _link(n: int) -> str:
    local, _, year = _date(n)
    return f"https://bench.example.org/{year}/{local[5:7]}/story-{n}/"


def _body(n: int, rng: random.Random, image: str | None) -> str:
    paragraphs = [" ".join(_sentence(rng) for _ in range(rng.randint(3, 6)))
                  for _ in range(rng.randint(5, 9))]
    other = rng.randrange(max(1, n))
    paragraphs[1] += f' See <a href="{_link(other)}">an earlier story</a>.'
    by_id = rng.randrange(max(1, n)) + 1
    paragraphs[2] += f' And <a href="https://bench.example.org/?p={by_id}">this one</a>.'
    if image:
        paragraphs.insert(2, f'[caption id="attachment_1" width="300"]<img src="{image}" '
                             f'alt="Photo {n}" width="300" height="200" /> A caption[/caption]')
    if n % 3 == 0:  # the block editor's shape
        return "\n\n".join(f"<!-- wp:paragraph -->\n<p>{p}</p>\n<!-- /wp:paragraph -->"
                           for p in paragraphs)
    return "\n\n".join(paragraphs)


def write_export(path: Path, uploads: Path, posts: int) -> None:
    rng = random.Random(17)
    with path.open("w", encoding="utf-8") as out:
        out.write(HEAD)
        for n in range(1, posts + 1):
            local, gmt, year = _date(n)
            image = None
            if n % 10 == 0:
                name = f"{year}/photo-{n}"
                (uploads / str(year)).mkdir(parents=True, exist_ok=True)
                (uploads / f"{name}.jpg").write_bytes(b"\xff\xd8 photo %d" % n)
                image = f"https://bench.example.org/wp-content/uploads/{name}-300x200.jpg"
                out.write(f"<item><title>photo-{n}</title><wp:post_id>{posts + n}</wp:post_id>"
                          f"<wp:post_parent>{n}</wp:post_parent><wp:post_type>attachment"
                          f"</wp:post_type><wp:attachment_url>https://bench.example.org/"
                          f"wp-content/uploads/{name}.jpg</wp:attachment_url></item>\n")
            status = "draft" if n % 10 == 7 else "publish"
            tags = "".join(f'<category domain="post_tag" nicename="t{t}"><![CDATA[Topic {t}]]>'
                           "</category>" for t in rng.sample(range(60), 3))
            out.write(
                f"<item><title><![CDATA[Story number {n}: {' '.join(rng.choices(WORDS, k=5))}]]>"
                f"</title><link>{_link(n)}</link><dc:creator><![CDATA[desk]]></dc:creator>"
                f"<content:encoded><![CDATA[{_body(n, rng, image)}]]></content:encoded>"
                f"<excerpt:encoded><![CDATA[]]></excerpt:encoded><wp:post_id>{n}</wp:post_id>"
                f"<wp:post_date>{local}</wp:post_date><wp:post_date_gmt>{gmt}"
                f"</wp:post_date_gmt><wp:post_name>story-{n}</wp:post_name><wp:status>"
                f"{status}</wp:status><wp:post_type>post</wp:post_type>"
                f'<category domain="category" nicename="news"><![CDATA[News]]></category>{tags}'
                "<wp:comment><wp:comment_content><![CDATA[A reader's comment]]>"
                "</wp:comment_content></wp:comment></item>\n")
        out.write("</channel></rss>\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=50_000)
    parser.add_argument("--work", type=Path, default=HERE / "work" / "import")
    args = parser.parse_args()
    work = args.work.resolve()
    export, uploads, site = work / f"export-{args.posts}.xml", work / "uploads", work / "site"
    if not export.is_file():
        shutil.rmtree(uploads, ignore_errors=True)
        work.mkdir(parents=True, exist_ok=True)
        write_export(export, uploads, args.posts)
    shutil.rmtree(site, ignore_errors=True)
    (site / "content").mkdir(parents=True)
    (site / "mirrorpub.toml").write_text('[site]\ntitle = "Bench"\n', encoding="utf-8")
    compile_package()
    command = [sys.executable, "-m", "mirrorpub", "import", "wordpress", str(export),
               "--uploads", str(uploads), "--json"]
    first = run(command, cwd=site)
    again = run(command, cwd=site)
    size_mb = export.stat().st_size / 1e6
    rows = [(name, seconds(r.wall), seconds(r.cpu), f"{r.max_rss_mb:.0f} MB",
             f"{r.others:.0%}") for name, r in (("first import", first),
                                                 ("same import again", again))]
    print(f"{args.posts} posts, export {size_mb:.0f} MB, {len(list(uploads.rglob('*.jpg')))} "
          "uploads")
    print(table(("case", "wall", "CPU", "peak RSS", "other load"), rows))
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "import.json").write_text(json.dumps({
        "posts": args.posts, "export_mb": size_mb, "machine": machine(),
        "first": first.__dict__, "again": again.__dict__}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
