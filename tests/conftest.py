"""Shared fixtures. Every test must leave no process of the kit's running. Graded runs are
shared across the session (harness/grader/shared_runs.py): a check run on the same programs
is run once, wherever the tests (and the commands they start) grade it."""

import fcntl
import os
import pickle
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.grader.shared_runs import SHARED_RUNS
from harness.system.procs import kill_session, leftovers


def pytest_xdist_auto_num_workers(config) -> int:
    """`-n auto` (pyproject.toml): a worker more than there are cores. A test that grades
    waits on the programs it runs for a good part of its time; a third worker on two cores
    uses that time (131 s for the suite, against 160 s with two)."""
    return (os.cpu_count() or 1) + 1


@pytest.fixture(scope="session", autouse=True)
def ctrl_c_as_in_a_terminal():
    """The tests press Ctrl-C as a person would: run in the background (SIGINT ignored, as a
    shell leaves it for a background job) they must still see it."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def whole_session_folder(tmp_path_factory) -> Path:
    """A folder every worker of this session sees (pytest-xdist's workers' folders share a parent)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def made_once(tmp_path_factory):
    """made_once(NAME, make): what make(FOLDER) returns, made once for the whole session.

    Each pytest-xdist worker runs the session's fixtures on its own: the first to ask makes
    it (in FOLDER, kept for the session) while any other waits, then reads what was kept."""
    shared = whole_session_folder(tmp_path_factory)

    def made(name: str, make: Callable[[Path], Any]) -> Any:
        kept = shared / f"{name}.pickle"
        with (shared / f"{name}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if kept.exists():
                return pickle.loads(kept.read_bytes())
            folder = shared / name
            folder.mkdir()
            value = make(folder)
            kept.write_bytes(pickle.dumps(value))
            return value

    return made


@pytest.fixture(scope="session", autouse=True)
def graded_runs_shared_in_this_session(tmp_path_factory):
    shared = whole_session_folder(tmp_path_factory) / "shared-runs"
    shared.mkdir(exist_ok=True)
    os.environ[SHARED_RUNS] = str(shared)
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
