import os

import pytest


def _testdata_dir():
    return os.environ.get("TFMODEL_TESTDATA") or os.path.join(
        os.path.dirname(__file__), "..", "..", "..", "shared", "testdata")


@pytest.fixture
def testdata():
    """Path of a file or folder in the testdata corpus; skips (fails under CI=true) when
    the corpus is missing."""
    root = _testdata_dir()
    if not os.path.isdir(root):
        if os.environ.get("CI") == "true":
            pytest.fail("testdata folder missing: " + root)
        pytest.skip("testdata folder missing")
    return lambda rel: os.path.join(root, rel)
