"""Fixtures shared by every test: real services, started by the suite itself."""

from __future__ import annotations

import pytest

from tests.services.kubo import (  # noqa: F401 (fixtures are found by name)
    build_kubo_before_tests,
    kubo_client,
    kubo_daemon,
    kubo_factory,
)
from tests.services.seaweed import seaweed, seaweed_factory  # noqa: F401


def pytest_collection_finish(session: pytest.Session) -> None:
    # A fresh machine builds kubo here (minutes, once), not inside a test's timeout.
    build_kubo_before_tests(session)
