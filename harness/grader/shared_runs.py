"""Graded runs shared within one test session, never in a student's or an instructor's grading.

The kit's own tests grade the same programs on the same check in many places: the docs
check runs each lesson README's `grade N` and `grade --watch N` on the untouched steps, which
the step tests grade too; the documented variants are graded by the layer tests and by the
README's commands. A run's outcome depends only on the programs' bytes, the scenario, the
timeout, the limits and whether the sandbox applies, so within one session it is run once
and read back after. Only when SHARED_RUNS names a folder (tests/conftest.py sets it for the
session, and every process the tests start inherits it); the benchmarks, which time real
runs, remove it (benchmarks/__init__.py).
"""

import hashlib
import os
import pickle
from pathlib import Path

from harness.model import kit

SHARED_RUNS = "CHATROOM_KIT_SHARED_RUNS"


def folder() -> Path | None:
    where = os.environ.get(SHARED_RUNS)
    return Path(where) if where else None


def key(*parts: object, programs: tuple[Path, ...]) -> str:
    """What makes a run what it is: the programs' bytes and the rest, as text."""
    digest = hashlib.sha256()
    for program in programs:
        digest.update(program.read_bytes() + b"\0")
    for part in parts:
        digest.update(repr(part).encode() + b"\0")
    return digest.hexdigest()


def recall(name: str) -> object | None:
    """The run kept under this key in this session, if any."""
    where = folder()
    if where is None:
        return None
    try:
        return pickle.loads((where / name).read_bytes())
    except (OSError, EOFError, pickle.UnpicklingError):
        return None


def keep(name: str, run: object) -> None:
    """Keep a run for the rest of the session; written whole or not at all (workers and the
    commands tests start may grade at the same moment)."""
    where = folder()
    if where is None:
        return
    kit.write_whole(where / name, pickle.dumps(run))
