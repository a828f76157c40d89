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
