"""Shared fixtures. Every test must leave no process of the kit's running. Graded runs are
shared across the session (harness/grader/shared_runs.py): a check run on the same programs
is run once, wherever the tests (and the commands they start) grade it."""

import os
import signal

import pytest

from harness.grader.shared_runs import SHARED_RUNS
from harness.system.procs import kill_session, leftovers


@pytest.fixture(scope="session", autouse=True)
def ctrl_c_as_in_a_terminal():
    """The tests press Ctrl-C as a person would: run in the background (SIGINT ignored, as a
    shell leaves it for a background job) they must still see it."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.fixture(scope="session", autouse=True)
def graded_runs_shared_in_this_session(tmp_path_factory):
    os.environ[SHARED_RUNS] = str(tmp_path_factory.mktemp("shared-runs"))
    yield
    del os.environ[SHARED_RUNS]


@pytest.fixture
def fresh_runs(monkeypatch):
    """For tests of how a run is made (limits, sandbox, Ctrl-C): every check really runs."""
    monkeypatch.delenv(SHARED_RUNS)


@pytest.fixture(autouse=True)
def no_process_outlives_the_test():
    yield
    stray = leftovers()
    for pid in stray:
        kill_session(pid)
    assert not stray, f"processes left running by this test: {stray}"
