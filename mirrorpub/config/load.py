"""Load `mirrorpub.toml` once into frozen dataclasses (SPEC §4).

Every problem in the file is collected and reported together as one ConfigError naming
the file and the key path (`mirrors[1].bucket`):

    read TOML -> [site] -> each [[mirrors]] entry, by the options of its backend's config
    class -> cross-field checks of the whole file (unique names, folders that must not
    overlap) -> Config

Relative paths are resolved against the config file's folder here, so nothing downstream
deals with them.
"""

from __future__ import annotations

import dataclasses
import difflib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mirrorpub.config.mirror import MirrorConfig
from mirrorpub.config.options import build, read_options, resolve_path
from mirrorpub.config.site import SiteConfig
from mirrorpub.errors import ConfigError
from mirrorpub.mirrors import registry

STATE_DIR_NAME = ".mirrorpub"


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


def load_config(path: str | Path = "mirrorpub.toml", *, output_dir: str | None = None) -> Config:
    """Read and check the config file. `output_dir` overrides `site.output_dir` (CLI -o)."""
    config_path = Path(path).absolute()
    raw = _read_toml(config_path, str(path))
    base = config_path.parent
    problems: list[str] = [f"{key}: unknown section{_section_hint(key)}"
                           for key in sorted(set(raw) - {"site", "mirrors"})]
    site = _read_site(raw.get("site"), base, output_dir, problems)
    mirrors = _read_mirrors(raw.get("mirrors", []), base, problems)
    if site is not None:
        problems += _overlaps(site, base, mirrors)
    if problems or site is None:
        raise ConfigError(str(path), problems)
    return Config(path=config_path, site=site, mirrors=mirrors)


def named_key_file(path: str | Path) -> Path | None:
    """The key file `site.signing_key` names, resolved as load_config would, read without
    checking the rest: `keygen -c` makes that very file, so it need not exist yet."""
    config_path = Path(path).absolute()
    site = _read_toml(config_path, str(path)).get("site")
    value = site.get("signing_key") if isinstance(site, dict) else None
    return resolve_path(config_path.parent, value) if isinstance(value, str) and value \
        else None


def _section_hint(key: str) -> str:
    close = difflib.get_close_matches(key, ["site", "mirrors"], n=1, cutoff=0.75)
    if close == ["mirrors"]:
        return " (did you mean [[mirrors]]?)"
    if close == ["site"]:
        return " (did you mean [site]?)"
    return " (expected [site] and [[mirrors]])"


def _read_toml(config_path: Path, shown: str) -> dict[str, Any]:
    try:
        return tomllib.loads(config_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(shown, ["file not found (create one with `mirrorpub init`)"]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(shown, [f"not valid UTF-8 (byte {exc.start})"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(shown, [f"not valid TOML: {exc}"]) from None
    except OSError as exc:
        raise ConfigError(shown, [f"cannot be read: {exc.strerror}"]) from None


def _read_site(table: Any, base: Path, output_dir: str | None,
               problems: list[str]) -> SiteConfig | None:
    if not isinstance(table, dict):
        problems.append("site: missing; expected a [site] table with at least `title`")
        return None
    if output_dir:  # the command line's -o: relative to where the editor stands
        table = {**table, "output_dir": str(resolve_path(Path.cwd(), output_dir))}
    return build(SiteConfig, table, "site", base, problems)


def _read_mirrors(tables: Any, base: Path, problems: list[str]) -> tuple[MirrorConfig, ...]:
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        problems.append("mirrors: expected [[mirrors]] tables")
        return ()
    mirrors: list[MirrorConfig] = []
    seen: dict[str, int] = {}
    for index, table in enumerate(tables):
        before = len(problems)
        _read_mirror(index, table, base, problems, seen, mirrors)
        problems[before:] = [p + _which_mirror(index, table) for p in problems[before:]]
    return tuple(mirrors)


def _which_mirror(index: int, table: Mapping[str, Any]) -> str:
    """Which entry a problem is in, as the editor counts: mirrors[0] is the 1st, and its
    name is what the editor sees in the file."""
    name = table.get("name")
    named = f"mirror {name!r}, " if isinstance(name, str) and name else ""
    return f" ({named}the {_ordinal(index + 1)} [[mirrors]] entry)"


def _ordinal(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(
        number % 10, "th")
    return f"{number}{suffix}"


def _read_mirror(index: int, table: Mapping[str, Any], base: Path, problems: list[str],
                 seen: dict[str, int], mirrors: list[MirrorConfig]) -> None:
    where = f"mirrors[{index}]"
    kind = table.get("type")
    backend = registry.find(kind) if isinstance(kind, str) else None
    if backend is None:
        shown = "missing" if kind is None else repr(kind)
        problems.append(f"{where}.type: expected one of {', '.join(registry.known_types())}"
                        f", got {shown}")
        return
    name = read_options(MirrorConfig, {"name": table.get("name")}, where, base, [])["name"]
    if name in seen:
        problems.append(f"{where}.name: {name!r} is already used by mirrors[{seen[name]}]; "
                        "mirror names must be unique")
    elif name:
        seen[name] = index
    config = build(backend.config, table, where, base, problems)
    if config is not None:
        mirrors.append(dataclasses.replace(config, state_dir=base / STATE_DIR_NAME))


def _overlaps(site: SiteConfig, base: Path, mirrors: tuple[MirrorConfig, ...]) -> list[str]:
    """Folders mirrorpub writes must not overlap what it must never touch."""
    problems = []
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
        problems += [p + _which_mirror(index, {"name": mirror.name})
                     for p in mirror.cross_check(protected, f"mirrors[{index}]")]
    return problems
