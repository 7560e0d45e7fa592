"""Article bodies render to the same HTML with the speed-ups as without them.

`mirrorpub.content.markdown` skips inline patterns that cannot match and looks block tags up in a
set; `_make_markdown(quick=False)` is plain Python-Markdown with the same extensions.
Generated bodies full of Markdown syntax, and every sample article, must come out
byte-identical from both.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mirrorpub.content import markdown as markdown_render
from mirrorpub.content.frontmatter import body_of, decode
from mirrorpub.content.slugs import path_segment

QUICK = markdown_render._make_markdown()
PLAIN = markdown_render._make_markdown(quick=False)
REPO = Path(__file__).resolve().parents[2]


def both(text: str) -> tuple[str, str]:
    QUICK.reset()
    PLAIN.reset()
    return QUICK.convert(text), PLAIN.convert(text)


PIECES = ["word", "Слово", "کلمه", " ", "  \n", "\n", "\n\n", "*", "**", "_", "__", "`", "``",
          "\\", "[", "]", "(", ")", "![", "[^1]", "[^1]: note", "<", ">", "&", "&amp;",
          "&#42;", "<b>", "</b>", "<span>", "<http://example.org>", "<a@b.example>",
          "[x](y.md)", "[x][r]", "[r]: https://example.org", "# ", "## ", "- ", "1. ",
          "> ", "    ", "```", "~~~", "| a | b |\n|---|---|\n| 1 | 2 |", "***", "---",
          "*[HTML]: Hyper", "Term\n:   Def", "{: .c }", "<div markdown=\"1\">", "</div>",
          "===", "'", "\"", "\t", "a_b_c", "2*3*4", "![i](img/p.png \"t\")",
          # block syntax at the start of a line, where the block shortcuts look for it
          "\n> quote", "\n:   def", "\n# H #", "\n#H", "a | b\n--- | ---\n1 | 2", "|x|\n|-|",
          "\n[^n]: note\n    more", "\n*[AB]: Alpha Beta", "\n[ref]: <url> \"T\"",
          "\n---\n", "\nTitle\n-----\n", "\n* * *\n", "\n1) ", "\n  - ", ":", "|", "#",
          "\n[r]:https://example.org/x", "\n[^n]:x", "\n*[A]:B", "[r]", "[^n]"]


@settings(max_examples=1500, deadline=None, derandomize=True, database=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_generated_bodies_render_the_same(text: str) -> None:
    quick, plain = both(text)
    assert quick == plain


# ASCII ids: pytest escapes a non-ASCII id once more on each collection in one process,
# and mutmut collects in-process repeatedly (the ids of one run no longer match the next).
@pytest.mark.parametrize("path", sorted((REPO / "content").rglob("*.md")),
                         ids=lambda p: path_segment(p.name))
def test_the_sample_articles_render_the_same(path: Path) -> None:
    body, _ = body_of(path.name, decode(path.name, path.read_bytes()))
    quick, plain = both(body)
    assert quick == plain and quick
