import pytest

from tests.services.cluster import cluster, cluster_binary, editor_kubo  # noqa: F401


def pytest_collection_finish(session: pytest.Session) -> None:
    # A fresh machine builds IPFS Cluster here (minutes, once), not inside a test's timeout.
    if any("cluster" in getattr(item, "fixturenames", ()) for item in session.items):
        try:
            cluster_binary()
        except RuntimeError as exc:
            raise pytest.UsageError(str(exc)) from exc
