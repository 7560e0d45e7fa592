"""Fixtures for the kubo client tests: a real offline kubo daemon (tests/services/kubo.py)."""

from __future__ import annotations

import pytest

from tests.services.kubo import (  # noqa: F401  (fixtures, found by name)
    build_kubo_before_tests,
    kubo_client,
    kubo_daemon,
    kubo_factory,
)


def pytest_collection_finish(session: pytest.Session) -> None:
    # Building kubo can take minutes on a fresh machine: do it before any test's timeout runs.
    build_kubo_before_tests(session)
