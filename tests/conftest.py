from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import corridor

MINI = Path(__file__).parent / "data" / "mini"


@pytest.fixture(scope="session")
def mini():
    return corridor.read_network(MINI)


@pytest.fixture(scope="session")
def net():
    return corridor.load_network()


@pytest.fixture
def mini_copy(tmp_path) -> Path:
    dst = tmp_path / "mini"
    shutil.copytree(MINI, dst)
    return dst


@pytest.fixture(scope="session")
def dask_client():
    """A 2-worker LocalCluster (single-threaded worker processes), started once per test session."""
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                           silence_logs=40)
    client = Client(cluster)
    yield client
    client.close()
    cluster.close()
