"""Load `mirrorpub.toml` once into frozen dataclasses (SPEC §4).

Every problem in the file is collected and reported together as one ConfigError naming
the file and the key path (`mirrors[1].bucket`). Relative paths are resolved against the
config file's folder here, so nothing downstream deals with them.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mirrorpub.errors import ConfigError
from mirrorpub.mirrors.registry import MirrorConfig, backend_module, known_types
from mirrorpub.options import Option, at_least, matches, non_empty, read_table

SIGNING_KEY_ENV = "MIRRORPUB_SIGNING_KEY"
STATE_DIR_NAME = ".mirrorpub"

_LANGUAGE = matches(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*",
                    "a BCP 47 language tag like 'ru' or 'fa-IR'")
_DOMAIN = matches(r"[A-Za-z0-9.-]+\.[A-Za-z]{2,}", "a domain name like 'kloop.kg'")

SITE_OPTIONS: dict[str, Option] = {
    "title": Option(str, required=True, check=non_empty),
    "language": Option(str, default="en", check=_LANGUAGE),
    "description": Option(str, default=""),
    "content_dir": Option(str, default="content", check=non_empty),
    "templates_dir": Option(str, default="templates", check=non_empty),
    "output_dir": Option(str, default="public", check=non_empty),
    "per_page": Option(int, default=20, check=at_least(1)),
    "signing_key": Option(str, default=None, check=non_empty),
    "manifest_ttl_days": Option(int, default=30, check=at_least(1)),
    # Beyond SPEC §4, each optional (see README):
    "main_domain": Option(str, default=None, check=_DOMAIN),
    "blocked_help": Option(str, default=""),
    "allow_external": Option(bool, default=False),
    "bundle": Option(bool, default=False),
}

MIRROR_COMMON_OPTIONS: dict[str, Option] = {
    "name": Option(str, required=True,
                   check=matches(r"[a-z0-9][a-z0-9-]{0,62}", "lowercase letters, digits and '-'")),
    "type": Option(str, required=True),
    "retired": Option(bool, default=False),
}


@dataclass(frozen=True)
class SiteConfig:
    title: str
    language: str
    description: str
    content_dir: Path
    templates_dir: Path
    output_dir: Path
    per_page: int
    signing_key: Path | None
    manifest_ttl_days: int
    main_domain: str | None
    blocked_help: str
    allow_external: bool
    bundle: bool


@dataclass(frozen=True)
class Config:
    path: Path
    site: SiteConfig
    mirrors: tuple[MirrorConfig, ...]

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR_NAME

    def mirror(self, name: str) -> MirrorConfig:
        for mirror in self.mirrors:
            if mirror.name == name:
                return mirror
        raise KeyError(name)


def resolve_path(base: Path, value: str) -> Path:
    """A config path: `~` expanded, relative to the config file's folder."""
    path = Path(os.path.expanduser(value))
    return path if path.is_absolute() else (base / path)


def load_config(path: str | Path = "mirrorpub.toml", *, output_dir: str | None = None) -> Config:
    """Read and check the config file. `output_dir` overrides `site.output_dir` (CLI -o)."""
    config_path = Path(path).absolute()
    shown = str(path)
    try:
        raw = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(shown, ["file not found (create one with `mirrorpub init`)"]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(shown, [f"not valid UTF-8 (byte {exc.start})"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(shown, [f"not valid TOML: {exc}"]) from None
    except OSError as exc:
        raise ConfigError(shown, [f"cannot be read: {exc.strerror}"]) from None

    problems: list[str] = []
    for key in sorted(set(raw) - {"site", "mirrors"}):
        problems.append(f"{key}: unknown section (expected [site] and [[mirrors]])")
    site = _read_site(raw.get("site"), config_path.parent, output_dir, problems)
    mirrors = _read_mirrors(raw.get("mirrors", []), config_path.parent, problems)
    if site is not None:
        _check_folders(site, config_path.parent, mirrors, problems)
    if problems or site is None:
        raise ConfigError(shown, problems)
    return Config(path=config_path, site=site, mirrors=mirrors)


def _read_site(
    table: Any, base: Path, output_dir: str | None, problems: list[str]
) -> SiteConfig | None:
    if not isinstance(table, dict):
        problems.append("site: missing; expected a [site] table with at least `title`")
        return None
    values = read_table(table, SITE_OPTIONS, "site", problems)
    content_dir = resolve_path(base, values["content_dir"])
    if not content_dir.is_dir():
        problems.append(f"site.content_dir: folder {values['content_dir']!r} not found")
    signing_key = None
    if values["signing_key"] and not os.environ.get(SIGNING_KEY_ENV):
        signing_key = resolve_path(base, values["signing_key"])
        if not signing_key.is_file():
            problems.append(f"site.signing_key: no key file at {values['signing_key']!r} "
                            "(create one with `mirrorpub keygen`)")
    return SiteConfig(
        title=values["title"] or "",
        language=values["language"],
        description=values["description"],
        content_dir=content_dir,
        templates_dir=resolve_path(base, values["templates_dir"]),
        output_dir=resolve_path(Path.cwd(), output_dir) if output_dir
        else resolve_path(base, values["output_dir"]),
        per_page=values["per_page"],
        signing_key=signing_key,
        manifest_ttl_days=values["manifest_ttl_days"],
        main_domain=values["main_domain"],
        blocked_help=values["blocked_help"],
        allow_external=values["allow_external"],
        bundle=values["bundle"],
    )


def _check_folders(site: SiteConfig, base: Path, mirrors: tuple[MirrorConfig, ...],
                   problems: list[str]) -> None:
    """Folders mirrorpub writes must not overlap what it must never touch."""
    content = site.content_dir.resolve()
    output = site.output_dir.resolve()
    if output == content or output.is_relative_to(content) or content.is_relative_to(output):
        problems.append(f"site.output_dir: {site.output_dir} overlaps site.content_dir; the "
                        "build would write into your articles")
    if output == base.resolve():
        problems.append("site.output_dir: must not be the site's own folder")
    protected = {"site.content_dir": site.content_dir, "site.output_dir": site.output_dir,
                 "the state folder": base / STATE_DIR_NAME}
    for index, mirror in enumerate(mirrors):
        check = getattr(backend_module(mirror.type), "cross_check", None)
        if check is not None:
            problems.extend(check(mirror, protected, f"mirrors[{index}]"))


def _read_mirrors(tables: Any, base: Path, problems: list[str]) -> tuple[MirrorConfig, ...]:
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        problems.append("mirrors: expected [[mirrors]] tables")
        return ()
    mirrors: list[MirrorConfig] = []
    seen: dict[str, int] = {}
    for index, table in enumerate(tables):
        where = f"mirrors[{index}]"
        kind = table.get("type")
        if kind not in known_types():
            shown = "missing" if kind is None else repr(kind)
            problems.append(f"{where}.type: expected one of {', '.join(known_types())}, "
                            f"got {shown}")
            continue
        module = backend_module(kind)
        options = {**MIRROR_COMMON_OPTIONS, **module.OPTIONS}
        values = read_table(table, options, where, problems)
        name = values["name"]
        if name in seen:
            problems.append(f"{where}.name: {name!r} is already used by mirrors[{seen[name]}]; "
                            "mirror names must be unique")
        elif name:
            seen[name] = index
        config = module.make_config(values, base, where, problems)
        if config is not None:
            mirrors.append(config)
    return tuple(mirrors)
