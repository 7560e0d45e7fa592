"""Malformed or hostile exports: exit 1, one line naming the file, nothing written (SPEC
§13): not in a new output folder, not in an existing one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.importers.conftest import FIXTURES, new_site, run_import, tree_digest

GOOD = (FIXTURES / "newsroom.xml").read_bytes()
HEAD = b'<?xml version="1.0"?>\n'
CHANNEL = (b'<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel>'
           b"<wp:wxr_version>1.2</wp:wxr_version><item><title>&x;</title>"
           b"<wp:post_type>post</wp:post_type><wp:post_id>1</wp:post_id></item>"
           b"</channel></rss>\n")
LAUGHS = b"".join(b'<!ENTITY x%d "%s">' % (n, b"&x%d;" % (n - 1) * 10) for n in range(1, 10))

HOSTILE = {
    "entity bomb": (HEAD + b'<!DOCTYPE rss [<!ENTITY x0 "lol">' + LAUGHS +
                    b'<!ENTITY x "&x9;">]>\n' + CHANNEL, "declares XML entities"),
    "external entity": (HEAD + b'<!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
                        + CHANNEL, "declares XML entities"),
    "external DTD": (HEAD + b'<!DOCTYPE rss SYSTEM "http://127.0.0.1:9/x.dtd">\n' +
                     CHANNEL.replace(b"&x;", b"t"), "refers to an external DTD"),
    "truncated": (GOOD[: len(GOOD) // 2], "is not well-formed XML (no element found)"),
    "bytes that are not UTF-8": (GOOD.replace("Парламент".encode(), b"Parl\xe9ment"),
                                 "is not well-formed XML (not well-formed (invalid token))"),
    "an encoding nobody knows": (GOOD.replace(b'encoding="UTF-8"', b'encoding="x-klingon"'),
                                 "cannot be decoded"),
    "a slug leaving content/": (GOOD.replace(b"<![CDATA[media-law]]>",
                                             b"<![CDATA[..%2F..%2F..%2Fescaped]]>"),
                                "has the slug '../../../escaped', which would leave the "
                                "content folder"),
    "not an export": (b"<html><body>hello</body></html>", "is not a WordPress export"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_refused_in_one_line_with_nothing_written(tmp_path: Path, case: str) -> None:
    data, message = HOSTILE[case]
    root = new_site(tmp_path / "site")
    (root / "content" / "mine.md").write_text('---\ntitle: "Mine"\ndate: 2020-01-01\n---\n'
                                              "x\n", "utf-8")
    export = tmp_path / "export.xml"
    export.write_bytes(data)
    before = tree_digest(root)
    for output in ("content", "fresh"):
        result = run_import(root, "wordpress", str(export), "--uploads", str(tmp_path), "-o",
                            output)
        assert result.returncode == 1, result.stdout
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert len(lines) == 1, result.stderr
        assert re.match(rf"error: {re.escape(str(export))}(:\d+)?: ", lines[0]), lines[0]
        assert message in lines[0]
        assert tree_digest(root) == before  # and no hidden staging folder either
        assert not (root / "fresh").exists()
