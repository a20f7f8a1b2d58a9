import pytest

import pa_journal


@pytest.fixture
def base(tmp_path):
    """A directory for one store, not created yet."""
    return tmp_path / "pa"


@pytest.fixture
def storage(base):
    s = pa_journal.FileStorage(base)
    yield s
    s.close()
