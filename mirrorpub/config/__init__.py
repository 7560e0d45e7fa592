"""mirrorpub.toml, read once into frozen dataclasses (SPEC §4)."""

from mirrorpub.config.load import STATE_DIR_NAME, Config, load_config
from mirrorpub.config.mirror import MirrorConfig
from mirrorpub.config.site import SIGNING_KEY_ENV, SiteConfig

__all__ = ["SIGNING_KEY_ENV", "STATE_DIR_NAME", "Config", "MirrorConfig", "SiteConfig",
           "load_config"]
