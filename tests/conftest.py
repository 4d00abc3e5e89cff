"""Shared fixtures. Every test must leave no process of the kit's running."""

import pytest

from harness.system.procs import kill_session, leftovers


@pytest.fixture(autouse=True)
def no_process_outlives_the_test():
    yield
    stray = leftovers()
    for pid in stray:
        kill_session(pid)
    assert not stray, f"processes left running by this test: {stray}"
