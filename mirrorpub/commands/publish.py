"""`mirrorpub publish [--mirror NAME]… [--dry-run] [--max-deletes N] [--skip-preflight]`."""

from __future__ import annotations

from collections.abc import Callable

from mirrorpub.config import load_config
from mirrorpub.mirrors.plan import DEFAULT_MAX_DELETES
from mirrorpub.publish.report import PublishReport
from mirrorpub.publish.run import ProgressFactory
from mirrorpub.publish.run import publish as run_publish


def publish(config_path: str, *, mirrors: tuple[str, ...] = (), dry_run: bool = False,
            max_deletes: int | None = None, progress: ProgressFactory | None = None,
            skip_preflight: bool = False, stop: Callable[[], bool] = lambda: False
            ) -> PublishReport:
    config = load_config(config_path)
    cap = DEFAULT_MAX_DELETES if max_deletes is None else max_deletes
    extra = {"progress": progress} if progress is not None else {}
    return run_publish(config, only=list(mirrors) or None, dry_run=dry_run,
                       max_deletes=cap, preflight=not skip_preflight, stop=stop, **extra)
