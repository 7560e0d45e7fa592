"""Shortcode attributes, read the way WordPress and Hugo read them, and the names of the
sites whose links WordPress and Hugo turn into players (oEmbed)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# WordPress's shortcode_parse_atts(), one alternative per form it accepts.
_ATTRIBUTE = re.compile(
    r"""([\w-]+)\s*=\s*"([^"]*)"(?:\s|$)|([\w-]+)\s*=\s*'([^']*)'(?:\s|$)"""
    r"""|([\w-]+)\s*=\s*([^\s'"]+)(?:\s|$)|"([^"]*)"(?:\s|$)|'([^']*)'(?:\s|$)|(\S+)(?:\s|$)""")
# Hugo's: name="value", name=`raw`, name=value, or positional ones.
_HUGO_ATTRIBUTE = re.compile(r"""(?:([\w-]+)=)?(?:"((?:[^"\\]|\\.)*)"|`([^`]*)`|(\S+))""")
_PROVIDERS = re.compile(
    r"(?:^|\.)(youtube\.com|youtu\.be|vimeo\.com|twitter\.com|x\.com|instagram\.com"
    r"|facebook\.com|soundcloud\.com|spotify\.com|tiktok\.com|flickr\.com|flic\.kr"
    r"|dailymotion\.com|ted\.com|slideshare\.net|scribd\.com|reddit\.com|tumblr\.com"
    r"|imgur\.com|issuu\.com|mixcloud\.com|wordpress\.tv|videopress\.com|vine\.co"
    r"|giphy\.com|pinterest\.com|speakerdeck\.com|kickstarter\.com|bandcamp\.com"
    r"|gist\.github\.com|maps\.google\.com|google\.com)$")


def wordpress_attributes(text: str) -> tuple[dict[str, str], list[str]]:
    """(named attributes, lowercased names; positional values in order)."""
    named: dict[str, str] = {}
    positional: list[str] = []
    text = re.sub(r"[\u00a0\u200b]", " ", text)
    for match in _ATTRIBUTE.finditer(text):
        groups = match.groups()
        if groups[0] is not None:
            named[groups[0].lower()] = groups[1]
        elif groups[2] is not None:
            named[groups[2].lower()] = groups[3]
        elif groups[4] is not None:
            named[groups[4].lower()] = groups[5]
        else:
            positional.append(next(g for g in groups[6:] if g is not None))
    return named, positional


def hugo_attributes(text: str) -> tuple[dict[str, str], list[str]]:
    named: dict[str, str] = {}
    positional: list[str] = []
    for match in _HUGO_ATTRIBUTE.finditer(text):
        key, quoted, raw, bare = match.groups()
        value = quoted.replace('\\"', '"') if quoted is not None else raw if raw is not None \
            else bare
        if key:
            named[key.lower()] = value
        else:
            positional.append(value)
    return named, positional


def is_player_site(url: str) -> bool:
    """Whether WordPress or Hugo would show `url` as an embedded player."""
    host = (urlsplit(url).hostname or "").lower()
    return bool(_PROVIDERS.search(host))
