"""Jinja2 templates: the site's own `templates/` first, then the default theme.

The default theme is the repository's top-level `templates/`; the wheel carries that one
copy as `mirrorpub/templates` (pyproject's force-include). Template errors become
BuildErrors naming the template file and line.

Templates speak through jinja2's i18n extension (`{{ _("Home") }}`, `{% trans %}`,
`ngettext`, newstyle: placeholders are `%(name)s` and always filled in, escaped). The words
come from the page's own language: every render passes `words` (a words.PageWords), and
the gettext functions installed here look it up in the render's context.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any

from mirrorpub.errors import BuildError
from mirrorpub.site.words import LEGACY_LABELS, SITE_LOCALE

_WORDS = frozenset({SITE_LOCALE, LEGACY_LABELS})


def default_theme_dir() -> Path:
    package = Path(__file__).resolve().parents[1]  # mirrorpub/
    packaged = package / "templates"
    if packaged.is_dir():
        return packaged
    return package.parent / "templates"  # a source checkout


class Theme:
    def __init__(self, override_dir: Path | None, compiled_dir: Path | None = None) -> None:
        """`compiled_dir`: where templates are kept compiled (jinja2's bytecode cache,
        checked against each template's source): compiling the article template took a
        one-edit publish ~50 ms."""
        if override_dir is not None and override_dir.is_dir():
            _check_links(override_dir)
        self.dirs = [d for d in (override_dir, default_theme_dir()) if d and d.is_dir()]
        self.compiled_dir = compiled_dir

    @cached_property
    def env(self) -> Any:
        # jinja2 is imported when a page is first rendered: a build with nothing to render
        # never loads it.
        import jinja2

        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader([str(d) for d in self.dirs]),
            autoescape=jinja2.select_autoescape(["html", "xml"]),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            extensions=["jinja2.ext.i18n"],
            bytecode_cache=_bytecode_cache(self.compiled_dir),
        )
        env.install_gettext_callables(  # type: ignore[attr-defined]
            jinja2.pass_context(_gettext), jinja2.pass_context(_ngettext), newstyle=True)
        return env

    @cached_property
    def digest(self) -> str:
        """Changes whenever any template file changes: part of every page's cache key.
        The words (locale/, labels.toml) are left to words.Words, whose digests key only
        the pages in their language."""
        h = hashlib.sha256()
        for folder in self.dirs:
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                relative = path.relative_to(folder)
                if relative.parts[0] in _WORDS:
                    continue
                h.update(str(relative).encode())
                h.update(path.read_bytes())
        return h.hexdigest()

    def renderer(self, name: str) -> Callable[..., str]:
        import jinja2

        try:
            template = self.env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            raise BuildError(f"{exc.filename or name}:{exc.lineno}: template error: "
                             f"{exc.message}") from None
        except jinja2.TemplateNotFound as exc:
            raise BuildError(f"template {exc.name!r} not found in {self._where()}") from None

        def render(**context: Any) -> str:
            try:
                return template.render(**context)
            except jinja2.TemplateError as exc:
                raise BuildError(f"{template.filename}: template error while rendering: "
                                 f"{exc}") from None

        return render

    def _where(self) -> str:
        return " or ".join(str(d) for d in self.dirs)


def _bytecode_cache(folder: Path | None) -> Any:
    import jinja2

    if folder is None:
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:  # only a lost shortcut
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))


def _gettext(context: Any, message: str) -> str:
    return context["words"].translations.gettext(message)


def _ngettext(context: Any, singular: str, plural: str, count: int) -> str:
    return context["words"].translations.ngettext(singular, plural, count)


def _check_links(folder: Path) -> None:
    """Refuse links leading out of the site's templates: a template that is a link to,
    say, ~/.aws/credentials would be rendered into every page and published."""
    if folder.is_symlink():
        target, home = folder.resolve(), folder.absolute().parent.resolve()
        if not target.is_relative_to(home):
            raise BuildError(f"{folder}: is a link to {target}, outside the site's folder "
                             f"{home}; copy the templates into the site instead")
    root = folder.resolve()
    for path in folder.rglob("*"):
        if path.is_symlink() and not path.resolve().is_relative_to(root):
            raise BuildError(f"{path}: is a link to {path.resolve()}, outside {folder}; "
                             "copy the file into the templates folder instead")
