"""Shared pytest fixtures: the real public data folder, skipped with a reason when absent."""
import pytest

from segatp.core import SHARED_DATA_MISSING, shared_data_dir


@pytest.fixture(scope="session")
def shared():
    """The ../shared/data folder; skips the test when it is absent (a fresh clone without it)."""
    d = shared_data_dir()
    if d is None: pytest.skip(SHARED_DATA_MISSING)
    return d
