"""`mirrorpub status`: every mirror, fetched anonymously as a reader would."""

from __future__ import annotations

from mirrorpub.config import load_config
from mirrorpub.read.status import StatusReport, check_all


def status(config_path: str) -> StatusReport:
    return check_all(load_config(config_path))
