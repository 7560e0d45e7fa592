"""The docs in the repository: every link in them names a file of the repository (a clone
has nothing else), and the reference names every command, option and config key."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import click
import pytest

from mirrorpub.cli.main import main
from mirrorpub.config import SiteConfig
from mirrorpub.mirrors import registry
from tests.sitekit import REPO

DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
REFERENCE = (REPO / "docs" / "reference.md").read_text(encoding="utf-8")
OPTION_KEY = "mirrorpub.option"  # how config/options.py marks a field as a config key
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_CODE = re.compile(r"^```.*?^```|`[^`\n]*`", re.MULTILINE | re.DOTALL)  # examples, not links


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_link_names_a_file_in_the_repository(doc: Path) -> None:
    bad = []
    for target in _LINK.findall(_CODE.sub("", doc.read_text(encoding="utf-8"))):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue  # a web address, or a place in the same page
        path = (doc.parent / target.split("#")[0]).resolve()
        if not path.is_relative_to(REPO) or not path.exists():
            bad.append(target)
    assert bad == [], f"{doc.name} links outside the repository or to nothing: {bad}"


def _commands(group: click.Group, prefix: str) -> list[tuple[str, click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += _commands(command, f"{prefix}{name} ")
        else:
            found.append((prefix + name, command))
    return found


def test_the_reference_names_every_command_and_option() -> None:
    missing = []
    for name, command in _commands(main, "mirrorpub "):
        words = name.split()
        shown = " ".join(words[:2]) if words[1] != "import" else "mirrorpub import"
        if f"`{shown}" not in REFERENCE:
            missing.append(name)
        for param in command.params:
            for flag in getattr(param, "opts", []):
                if flag.startswith("--") and f"`{flag}" not in REFERENCE and \
                        f", {flag}" not in REFERENCE:
                    missing.append(f"{name} {flag}")
    assert missing == [], f"docs/reference.md does not describe: {missing}"


def test_the_reference_names_every_config_key() -> None:
    classes = [("site", SiteConfig)] + [
        (kind, backend.config) for kind in registry.known_types()
        if (backend := registry.find(kind)) is not None and kind != "memory"]  # tests' plugin
    missing = [f"{where}.{f.name}" for where, cls in classes for f in dataclasses.fields(cls)
               if OPTION_KEY in f.metadata and f"`{f.name}`" not in REFERENCE]
    assert missing == [], f"docs/reference.md does not describe: {missing}"
