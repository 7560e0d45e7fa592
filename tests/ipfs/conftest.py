from tests.services.cluster import cluster, editor_kubo  # noqa: F401 (fixtures, by name)
