"""The live preview of `mirrorpub serve`: rebuild on every settled burst of edits, and
tell open pages to reload.

    watchdog ──poke──▶ Debouncer ──"settled"──▶ rebuild thread: load config, build
                                                   │ ok: Preview.version += 1
    page ──GET /.mirrorpub/reload?v=N (waits)──◀───┘ answers the new version → reload

The reload script is added by the server to the HTML it answers with, never to a file:
public/ and every copy stay byte-identical to `mirrorpub build`. The page's own
Content-Security-Policy (a <meta>) is widened in the answer only, by the script's hash and
`connect-src 'self'`, so the preview runs under the same policy readers get, plus that.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import html
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mirrorpub.config import Config, load_config
from mirrorpub.errors import MirrorpubError
from mirrorpub.publish.local import build_only
from mirrorpub.site.build import BuildResult
from mirrorpub.watch.debounce import Debouncer, Wake
from mirrorpub.watch.events import Watcher

# A hidden name: no site file can have it (serve.site_file refuses hidden names).
RELOAD_PATH = "/.mirrorpub/reload"
RELOAD_WAIT = 20.0  # seconds a page's question stays open before it asks again
QUIET = 0.2  # an editor's save is a burst of events; rebuild once it settles
MAX_WAIT = 2.0
DRAFTS_FOLDER = "preview-drafts"  # under .mirrorpub/: drafts never reach public/

_CSP_META = re.compile(
    r'(<meta\s+http-equiv="Content-Security-Policy"\s+content=")([^"]*)(")', re.IGNORECASE)
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)

Report = Callable[[BuildResult | MirrorpubError], None]


@dataclass
class Preview:
    """What the preview serves, and a number that grows with every good rebuild."""

    root: Path
    version: int = 0
    _changed: threading.Condition = field(default_factory=threading.Condition)

    def rebuilt(self) -> None:
        with self._changed:
            self.version += 1
            self._changed.notify_all()

    def newer_than(self, seen: int, timeout: float = RELOAD_WAIT) -> int:
        """The version, once it is past `seen` or `timeout` seconds passed."""
        with self._changed:
            self._changed.wait_for(lambda: self.version > seen, timeout)
            return self.version


def reload_script(version: int) -> str:
    """Asks the server, one long question at a time, whether a newer build exists."""
    return ("(function(){var v=" + str(version) + ";function ask(){fetch('" + RELOAD_PATH +
            "?v='+v,{cache:'no-store'}).then(function(r){return r.text()})"
            ".then(function(t){if(+t>v){location.reload()}else{ask()}},"
            "function(){setTimeout(ask,1000)})}ask()})();")


def with_reload(page: bytes, version: int) -> bytes:
    """The page as the preview answers it: the reload script before </body>, allowed by
    its hash in the page's policy."""
    text = page.decode("utf-8", "surrogateescape")
    script = reload_script(version)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode("ascii")
    text = _CSP_META.sub(lambda m: m[1] + _attribute(
        widened(html.unescape(m[2]), f"'sha256-{digest}'")) + m[3], text, count=1)
    tag = f"<script>{script}</script>"
    ends = list(_BODY_END.finditer(text))
    text = text[:ends[-1].start()] + tag + text[ends[-1].start():] if ends else text + tag
    return text.encode("utf-8", "surrogateescape")


def _attribute(value: str) -> str:
    """A double-quoted attribute's text; single quotes stay readable."""
    return html.escape(value, quote=False).replace('"', "&quot;")


def widened(policy: str, script_hash: str) -> str:
    """`policy` plus one script hash and `connect-src 'self'`."""
    directives = [d.strip() for d in policy.split(";") if d.strip()]
    added = {"script-src": script_hash, "connect-src": "'self'"}
    for index, directive in enumerate(directives):
        name = directive.split()[0].lower()
        if name in added:
            directives[index] = f"{directive} {added.pop(name)}"
    directives += [f"{name} {source}" for name, source in added.items()]
    return "; ".join(directives)


def preview_config(config: Config, drafts: bool) -> Config:
    """What the preview builds: public/ as `build` makes it, or, with drafts, a folder of
    its own under .mirrorpub/ (public/ never holds a draft)."""
    if not drafts:
        return config
    site = dataclasses.replace(config.site, output_dir=config.state_dir / DRAFTS_FOLDER)
    return dataclasses.replace(config, site=site)


class Rebuilder:
    """Follows edits to the site and rebuilds the preview, on a thread of its own. It
    watches from the moment it is entered, before the first build: an edit saved while
    that build runs is not missed."""

    def __init__(self, config: Config, drafts: bool, report: Report) -> None:
        self.config = config
        self.config_path = config.path
        self.preview = Preview(preview_config(config, drafts).site.output_dir)
        self.drafts = drafts
        self.report = report
        self.debouncer = Debouncer(QUIET, MAX_WAIT)
        self.watcher = Watcher(config.path, self.debouncer)
        self.thread = threading.Thread(target=self._run, name="preview-rebuild", daemon=True)

    def __enter__(self) -> Rebuilder:
        self.watcher.__enter__()
        self.watcher.follow(self.config)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.debouncer.stop()
        self.watcher.__exit__(*exc)
        self.thread.join(5.0)

    def first_build(self) -> BuildResult:
        """The preview's first build; its errors are the command's (exit 1)."""
        return build_only(preview_config(self.config, self.drafts), drafts=self.drafts)

    def _run(self) -> None:
        while self.debouncer.next_wake() is Wake.CHANGES:
            self.debouncer.take()
            self.rebuild()

    def rebuild(self) -> None:
        try:
            config = load_config(self.config_path)
            result = build_only(preview_config(config, self.drafts), drafts=self.drafts)
        except MirrorpubError as exc:  # the editor fixes it and saves again
            self.report(exc)
            return
        self.watcher.follow(config)  # templates/ may have appeared
        self.preview.rebuilt()
        self.report(result)


def open_preview(config_path: str, drafts: bool, report: Report) -> Rebuilder:
    """The preview of the site whose config is at `config_path` (enter it to start)."""
    return Rebuilder(load_config(config_path), drafts, report)
