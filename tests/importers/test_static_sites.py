"""`mirrorpub import hugo` and `mirrorpub import jekyll` on fixture sites: TOML, YAML and
JSON front matter mapped to SPEC §5, page bundles and assets copied, shortcodes and
Liquid tags turned into markdown or reported; the result builds and crawls clean."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.importers.conftest import (
    FIXTURES,
    build_and_crawl,
    import_json,
    new_site,
    notes_of,
    run_import,
    tree_digest,
)
from tests.sitekit import Crawl, article_paths

HUGO = FIXTURES / "hugo-site" / "content"
JEKYLL = FIXTURES / "jekyll-site"


def text(root: Path, rel: str) -> str:
    return (root / "content" / rel).read_text("utf-8")


@pytest.fixture(scope="module")
def hugo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, Crawl]:
    root = new_site(tmp_path_factory.mktemp("hugo"))
    report = import_json(root, "hugo", str(HUGO))
    return root, report, build_and_crawl(root)


@pytest.fixture(scope="module")
def jekyll(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, Crawl]:
    root = new_site(tmp_path_factory.mktemp("jekyll"))
    report = import_json(root, "jekyll", str(JEKYLL))
    return root, report, build_and_crawl(root)


def test_hugo_toml_front_matter_and_shortcodes(hugo: tuple[Path, dict, Crawl]) -> None:
    root, report, _ = hugo
    assert text(root, "posts/first.md") == "\n".join([
        "---", "# imported from Hugo: posts/first.md", 'title: "First dispatch"',
        "date: 2021-04-05T10:00:00+06:00", "slug: first",
        'tags: ["Press freedom", "Reports"]',  # categories join tags
        'summary: "Our first report from the border."',  # description
        "updated: 2021-04-06T09:00:00+06:00", "---",
        "We crossed the border at dawn.", "",
        "![Our logo](../images/logo.png)", "",  # figure, from static/
        "*The newsroom's logo*", "",
        "[https://www.youtube.com/watch?v=dQw4w9WgXcQ](https://www.youtube.com/watch?v="
        "dQw4w9WgXcQ)", "",
        "Read [the second dispatch](second/index.md) or [by its address](second/index.md), "
        "and [the report](../docs/report.pdf).", "",  # ref, an old URL, a file of assets/
        "```go", 'fmt.Println("{{ not a template }}")', "```", "",
        "Roads are closed.", "",
        "To embed a video, write `{{< youtube ID >}}`.", "",  # a shortcode comment
        "[A remote chart](https://cdn.example.com/chart.png)", "",
        '<a href="https://www.youtube.com/watch?v=xyz987">https://www.youtube.com/watch?v='
        'xyz987</a>', ""])
    notes = notes_of(report, "content/posts/first.md")
    assert ("front matter aliases, weight", "mirrorpub has no such keys: dropped") in notes
    assert ("{{< notice >}}", "unknown shortcode: removed (the text inside it kept)") in notes
    assert ("https://cdn.example.com/chart.png", "an image on another site: left as a link "
            "(copies load nothing from elsewhere)") in notes


def test_hugo_bundles_yaml_json_and_languages(hugo: tuple[Path, dict, Crawl]) -> None:
    root, report, site = hugo
    bundle = text(root, "posts/second/index.md")
    assert "slug: second\n" in bundle and 'author: "Guest Writer"' in bundle
    assert bundle.endswith("A photo from the bundle: ![The crossing](photo.jpg)\n\n"
                           "Back to [the first one](../first.md).\n")
    assert (root / "content/posts/second/photo.jpg").read_bytes() == \
        (HUGO / "posts/second/photo.jpg").read_bytes()
    assert "slug: json-front-matter" in text(root, "posts/data.md")
    assert "lang: ru" in text(root, "about.ru.md")  # Hugo's about.ru.md
    assert "draft: true" in text(root, "posts/unfinished.md")
    assert article_paths(site) == {"articles/first.html", "articles/second.html",
                                   "articles/json-front-matter.html", "articles/about.html"}
    assert "files/posts/second/photo.jpg" in site.pages
    shown = {n["what"] for n in report["notes"] if n["file"].startswith(str(HUGO))}
    assert shown == {"a section's list page", "Org content"}


def test_jekyll_posts_liquid_and_assets(jekyll: tuple[Path, dict, Crawl]) -> None:
    root, report, site = jekyll
    assert text(root, "posts/2020-02-01-hello-world.md") == "\n".join([
        "---", "# imported from Jekyll: _posts/2020-02-01-hello-world.md",
        'title: "Hello, world"',
        "date: 2020-02-01T00:00:00+03:00",  # from the file name, in _config.yml's zone
        "slug: hello-world",
        'tags: ["first", "Welcome", "news", "world"]',  # tags, then "news world"
        'summary: "The blog begins."', "---",
        "Welcome! Next: [the second post](2020-03-01-second.md), also at [its old address]"
        "(2020-03-01-second.md).", "",
        "![A picture](../assets/img/pic.png)", "",
        "```ruby", 'puts "{{ hello }}"', "```", "",
        "Liquid looks like {{ this }}.", "",
        "Comments were open. Written by .", ""])
    notes = notes_of(report, "content/posts/2020-02-01-hello-world.md")
    assert ("{% include newsletter.html %}", "a piece of the theme: removed") in notes
    assert ("{% if %}", "a Liquid tag: removed (mirrorpub runs no templates in articles)") \
        in notes
    assert ("{{ page.author }}", "a Liquid value: removed (mirrorpub runs no templates in "
            "articles)") in notes
    second = text(root, "posts/2020-03-01-second.md")
    assert "date: 2020-03-01T10:00:00+03:00" in second  # Jekyll's "… +0300"
    assert "slug: second-story" in second  # from the permalink
    assert "draft: true" in text(root, "drafts/upcoming.md")
    assert 'tags: ["page"]' in text(root, "about.md")
    assert article_paths(site) == {"articles/hello-world.html", "articles/second-story.html",
                                   "articles/about.html"}
    assert "files/assets/img/pic.png" in site.pages
    assert not (root / "content" / "README.md").exists()


@pytest.mark.parametrize("kind", ["hugo", "jekyll"])
def test_importing_again_gives_the_same_bytes(tmp_path: Path, kind: str) -> None:
    root = new_site(tmp_path / "site")
    source = str(HUGO if kind == "hugo" else JEKYLL)
    first = import_json(root, kind, source)
    before = tree_digest(root / "content")
    again = import_json(root, kind, source)
    assert tree_digest(root / "content") == before
    assert again["written"] == 0 and again["unchanged"] == first["written"]


@pytest.mark.parametrize(("name", "source", "message"), [
    ("escape.md", '---\ntitle: x\ndate: 2020-01-01\nslug: "../../outside"\n---\nx\n',
     "has the slug '../../outside', which would leave the content folder"),
    ("bad.md", "+++\ntitle = \"x\"\ndate = = 2020\n+++\nx\n", "front matter is not valid TOML"),
    ("bad.md", "---\ntitle: [unclosed\n---\nx\n", "front matter is not valid YAML"),
    ("latin1.md", "---\ntitle: x\n---\nCaf\xe9\n", "is not valid UTF-8"),
])
def test_bad_sources_are_refused_with_nothing_written(tmp_path: Path, name: str, source: str,
                                                      message: str) -> None:
    folder = tmp_path / "old" / "posts"
    folder.mkdir(parents=True)
    (folder / "fine.md").write_text("---\ntitle: Fine\ndate: 2020-01-01\n---\nFine.\n", "utf-8")
    (folder / name).write_bytes(source.encode("latin-1"))
    root = new_site(tmp_path / "site")
    before = tree_digest(root)
    result = run_import(root, "hugo", str(tmp_path / "old"))
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert lines[0].startswith(f"error: {tmp_path / 'old' / 'posts' / name}")
    assert tree_digest(root) == before
