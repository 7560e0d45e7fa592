"""WordPress's `wpautop`, ported: the classic editor stores text with blank lines between
paragraphs and single line breaks inside them; WordPress turns them into <p> and <br />
when it shows a post, and so must the import (wp-includes/formatting.php, same steps)."""

from __future__ import annotations

import re

_BLOCKS = (r"(?:table|thead|tfoot|caption|col|colgroup|tbody|tr|td|th|div|dl|dd|dt|ul|ol|li"
           r"|pre|form|map|area|blockquote|address|style|p|h[1-6]|hr|fieldset|legend|section"
           r"|article|aside|hgroup|header|footer|nav|figure|figcaption|details|menu|summary)")
_PRE = re.compile(r"<pre[\s>].*?</pre>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>", re.DOTALL)


def _sub(pattern: str, replacement: str, text: str, flags: int = 0) -> str:
    return re.sub(pattern, replacement, text, flags=flags)


def wpautop(text: str) -> str:
    if not text.strip():
        return ""
    text += "\n"
    pre_tags: dict[str, str] = {}

    def keep_pre(match: re.Match[str]) -> str:
        key = f"<pre wp-pre-tag-{len(pre_tags)}></pre>"
        pre_tags[key] = match.group(0)
        return key

    text = _PRE.sub(keep_pre, text)
    text = _sub(r"<br\s*/?>\s*<br\s*/?>", "\n\n", text)
    text = _sub(rf"(<{_BLOCKS}[\s/>])", r"\n\n\1", text)
    text = _sub(rf"(</{_BLOCKS}>)", r"\1\n\n", text)
    text = _sub(r"(<hr\s*?/?>)", r"\1\n\n", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _TAG.sub(lambda m: m.group(0).replace("\n", " <!-- wpnl --> "), text)
    if "<figcaption" in text:
        text = _sub(r"\s*(<figcaption[^>]*>)", r"\1", text)
        text = _sub(r"</figcaption>\s*", "</figcaption>", text)
    text = _sub(r"\n\n+", "\n\n", text)
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p]
    text = "".join(f"<p>{p.strip(chr(10))}</p>\n" for p in paragraphs)
    text = _sub(r"<p>\s*</p>", "", text)
    text = _sub(r"<p>([^<]+)</(div|address|form)>", r"<p>\1</p></\2>", text)
    text = _sub(rf"<p>\s*(</?{_BLOCKS}[^>]*>)\s*</p>", r"\1", text)
    text = _sub(r"<p>(<li.+?)</p>", r"\1", text)
    text = _sub(r"<p><blockquote([^>]*)>", r"<blockquote\1><p>", text, re.IGNORECASE)
    text = text.replace("</blockquote></p>", "</p></blockquote>")
    text = _sub(rf"<p>\s*(</?{_BLOCKS}[^>]*>)", r"\1", text)
    text = _sub(rf"(</?{_BLOCKS}[^>]*>)\s*</p>", r"\1", text)
    text = _line_breaks(text)
    text = _sub(rf"(</?{_BLOCKS}[^>]*>)\s*<br />", r"\1", text)
    text = _sub(r"<br />(\s*</?(?:p|li|div|dl|dd|dt|th|pre|td|ul|ol)[^>]*>)", r"\1", text)
    text = _sub(r"\n</p>$", "</p>", text)
    for key, original in pre_tags.items():
        text = text.replace(key, original)
    return text.replace(" <!-- wpnl --> ", "\n").replace("<!-- wpnl -->", "\n")


def _line_breaks(text: str) -> str:
    """Single line breaks become <br />, except inside script, style, svg and math."""
    kept = re.sub(r"<(script|style|svg|math).*?</\1>",
                  lambda m: m.group(0).replace("\n", "<WPPreserveNewline />"), text,
                  flags=re.DOTALL)
    kept = kept.replace("<br>", "<br />").replace("<br/>", "<br />")
    kept = re.sub(r"(?<!<br />)\s*\n", "<br />\n", kept)
    return kept.replace("<WPPreserveNewline />", "\n")
