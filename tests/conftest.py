"""Fixtures shared by every test: real services, started by the suite itself; and the
test plugins (tests/plugins/), found through their entry points like any installed one."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

PLUGINS = Path(__file__).parent / "plugins"
# For this process, and for every `mirrorpub` command line a test starts.
sys.path.insert(0, str(PLUGINS))
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (str(PLUGINS), os.environ.get("PYTHONPATH")) if p)
# `mirrorpub init` makes each site a signing key under $XDG_CONFIG_HOME: never the real one.
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="mirrorpub-test-config-")

from tests.services.azurite import azurite  # noqa: E402, F401
from tests.services.kubo import (  # noqa: E402, F401 (fixtures are found by name)
    build_kubo_before_tests,
    kubo_client,
    kubo_daemon,
    kubo_factory,
)
from tests.services.seaweed import seaweed, seaweed_factory  # noqa: E402, F401


@pytest.fixture(autouse=True)
def own_reader_memory(tmp_path_factory: pytest.TempPathFactory,
                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's `verify` remembers the versions it saw apart from every other's (and
    from the machine's own ~/.local/state): many tests publish sites of the same title,
    and one test's version 2 would refuse another's version 1 as a rollback."""
    monkeypatch.setenv("MIRRORPUB_STATE_HOME", str(tmp_path_factory.mktemp("reader-state")))


def pytest_collection_finish(session: pytest.Session) -> None:
    # A fresh machine builds kubo here (minutes, once), not inside a test's timeout.
    build_kubo_before_tests(session)
