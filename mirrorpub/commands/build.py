"""`mirrorpub build [-o DIR]`: render the site into public/ (or DIR)."""

from __future__ import annotations

from mirrorpub.config import load_config
from mirrorpub.publish.local import build_only
from mirrorpub.site.build import BuildResult


def build(config_path: str, output: str | None = None) -> BuildResult:
    return build_only(load_config(config_path, output_dir=output))
