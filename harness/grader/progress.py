"""Where a student is: each lesson step done, to do, or not started, without regrading the
steps whose files have not changed.

A step whose files are exactly what the kit gives is not started: nothing to grade. Any
other step is graded on the checks of steps 1 to N, and what it got is saved under a key
made of its files' contents and the kit's own files (the manifest, the scenarios, the
harness, the reference), so a step is graded again only when one of those changed.
"""

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from harness.grader import grading
from harness.model import kit, lesson_source
from harness.model.manifest import Manifest
from harness.model.outcome import Status

CACHE = kit.CACHE / "progress.json"
# The kit's own files, as (folder, pattern): the package's, and the manifest and the reference,
# wherever the kit keeps them (harness/model/kit.py).
KIT_FILES = (
    (kit.PACKAGE, "**/*.py"),
    (kit.PACKAGE, "**/*.toml"),
    (kit.MANIFEST.parent, kit.MANIFEST.name),
    (kit.REFERENCE, "*.py"),
)
STATES = ("done", "to do", "not started")


@dataclass(frozen=True)
class StepState:
    number: int
    title: str
    state: str  # one of STATES
    failing: tuple[str, ...] = ()  # its own checks that did not pass


def _digest(parts: list[bytes]) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(hashlib.sha256(part).digest())
    return hasher.hexdigest()


def kit_key(extra: str = "") -> str:
    """What the kit's verdicts depend on besides the student's files; extra: the options graded with."""
    found = {path for folder, pattern in KIT_FILES for path in folder.glob(pattern)}
    files = sorted(path for path in found if "__pycache__" not in path.parts)
    named = [path.relative_to(kit.PACKAGE.parent).as_posix().encode() + path.read_bytes() for path in files]
    return _digest([extra.encode(), *named])


def step_key(folder: Path, kit: str) -> str:
    return _digest([kit.encode(), *(path.name.encode() + path.read_bytes() for path in sorted(folder.glob("*.py")))])


@functools.cache
def _sources() -> dict[str, list[lesson_source.Block]]:
    """The lessons' master sources, parsed once: every step's state asks for them."""
    return lesson_source.sources()


def untouched(folder: Path, number: int) -> bool:
    """Whether the step's programs are exactly what the kit gives for that step."""
    given = {name: lesson_source.program(blocks, number, solved=False) for name, blocks in _sources().items()}
    return all((folder / name).is_file() and (folder / name).read_text() == text for name, text in given.items())


def load() -> dict[str, dict]:
    try:
        return json.loads(CACHE.read_text())
    except (OSError, ValueError):
        return {}


def save(saved: dict[str, dict]) -> None:
    try:
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        kit.write_whole(CACHE, json.dumps(saved, indent=1).encode())  # a --watch and a grade may save at once
    except OSError:
        pass  # a kit on a read-only disk grades all the same, only not faster next time


def remember(saved: dict[str, dict], grade: grading.Grade, keys: dict[str, str]) -> None:
    """Keep each graded step's own failing checks under its key."""
    for label, results in grade.by_target().items():
        number = int(label.split()[1])
        failing = [r.check.name for r in results if r.status is not Status.PASSED and r.check.step <= number]
        saved[keys[label]] = {"passed": not failing, "failing": failing}


def states(manifest: Manifest, folder: Path, saved: dict[str, dict], keys: dict[str, str]) -> list[StepState]:
    """Each step's state from what is saved (a step with nothing saved is not started)."""
    found = []
    for step in manifest.steps:
        entry = saved.get(keys.get(f"step {step.number}", ""))
        if entry is None:
            found.append(StepState(step.number, step.title, "not started"))
        else:
            state = "done" if entry["passed"] else "to do"
            found.append(StepState(step.number, step.title, state, tuple(entry["failing"])))
    return found
