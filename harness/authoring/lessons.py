"""The lessons and the reference, generated from one master source with step markers.

The master source and its step markers: harness/model/lesson_source.py.

    python -m harness lessons            write lessons/stepN/ and reference/
    python -m harness lessons --check    exit 1 if the generator's output differs from the kit's record
    python -m harness lessons --reset 3  write step 3's files afresh, keeping the student's beside them

The step folders are the students' workspace: the kit never reads them as its own. What it
generated is recorded in lessons/pristine.json (each file's SHA-256), so the drift check
compares the generator's output with that record, whatever a student has written, and a
file whose text is neither the recorded one nor the new one is a student's: it is never
overwritten unless its step is reset, and then the student's version is kept as FILE.mine.
"""

import hashlib
import json
import sys
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

from harness.model import kit
from harness.model.lesson_source import SOURCE, Block, program, render, sources
from harness.model.manifest import LESSONS, Manifest, load_manifest
from harness.model.schema import refused_in_one_line

ROOT = kit.ROOT
REFERENCE_DIR = kit.REFERENCE


@dataclass(frozen=True)
class Lesson:
    """Everything generated, as {path relative to the repository: text}."""

    files: dict[Path, str]


def generate(manifest: Manifest | None = None) -> Lesson:
    manifest = manifest or load_manifest()
    parsed = sources()
    files: dict[Path, str] = {}
    for name, blocks in parsed.items():
        files[Path("reference") / name] = render(blocks, 10**6, solved=True)
    for step in manifest.steps:
        folder = Path("lessons") / f"step{step.number}"
        for name, blocks in parsed.items():
            files[folder / name] = program(blocks, step.number, solved=False)
        files[folder / "README.md"] = readme(manifest, step.number, parsed)
    return Lesson(files)


def readme(manifest: Manifest, number: int, parsed: dict[str, list[Block]]) -> str:
    """The step's own text (lessons/source/stepN.md), then its TODOs, checks and hints."""
    step = manifest.step(number)
    intro = (SOURCE / f"step{number}.md").read_text().strip()
    todos = [
        f"- `{name}`, in `{block.within or 'the top of the file'}`: " + " ".join(block.todo)
        for name, blocks in parsed.items()
        for block in blocks
        if block.kind == "step" and block.step == number and block.todo
    ]
    checks = [
        f"- **{check.name}** ({check.points:g} points; {check.layer}): {check.describe()}"
        + (f" The kit's rule: {check.rule}." if check.rule else "")
        for check in step.checks
    ]
    hints = [f"- {check.hint}" for check in step.checks if check.hint]
    return "\n".join(
        [
            f"# Step {number}: {step.title}",
            "",
            intro,
            "",
            "## What to write",
            "",
            "Look for `# TODO step " + str(number) + "` in the files; each one says what it needs:",
            "",
            *todos,
            "",
            "## Check your work",
            "",
            "Run it by hand from this folder, in two or three terminals (Ctrl-C ends each):",
            "",
            "```text",
            "python3 srv.py 127.0.0.1 6900",
            "python3 cli.py 127.0.0.1 6900",
            "```",
            "",
            "Then let the grader watch every terminal for you, from the top of the kit (where the",
            "quick start made `.venv`; with `source .venv/bin/activate` first, `nox` alone will do):",
            "",
            "```sh",
            f".venv/bin/nox -s grade -- {number}            # once (exit 1 until the step is done)",
            f".venv/bin/nox -s grade -- --watch {number}    # again each time you save, until Ctrl-C",
            "```",
            "",
            f"Step {number} is graded on its own checks"
            + (f" and on those of steps 1 to {number - 1}, which must keep passing" if number > 1 else "")
            + ". Its own are (documented: what the documentation's terminals show; kit: a rule of"
            + " this kit beyond them):",
            "",
            *checks,
            "",
            "## Hints",
            "",
            *hints,
            "",
        ]
    )


PRISTINE = LESSONS / "pristine.json"


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def recorded(root: Path = ROOT) -> dict[str, str]:
    """What the kit last generated in the step folders: {path: SHA-256 of its text}."""
    try:
        return json.loads((root / PRISTINE.relative_to(ROOT)).read_text())
    except (OSError, ValueError):
        return {}


def record(lesson: Lesson) -> str:
    """The text of lessons/pristine.json for a generated lesson."""
    hashes = {path.as_posix(): digest(text) for path, text in lesson.files.items() if _in_steps(path)}
    return json.dumps(dict(sorted(hashes.items())), indent=1) + "\n"


def _in_steps(path: Path) -> bool:
    return path.parts[0] == "lessons"


def differences(lesson: Lesson, root: Path = ROOT) -> list[str]:
    """What the generator makes that the kit does not hold: step files whose text differs
    from the record (the step folders themselves are the students' and are not read), and
    reference files that differ on disk."""
    hashes = recorded(root)
    problems = [
        str(path)
        for path, text in lesson.files.items()
        if (hashes.get(path.as_posix()) if _in_steps(path) else _digest_of(root / path)) != digest(text)
    ]
    problems += [f"{path} (recorded, no longer generated)" for path in hashes if Path(path) not in lesson.files]
    return sorted(problems)


def _digest_of(path: Path) -> str | None:
    text = _read(path)
    return None if text is None else digest(text)


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


def edited(lesson: Lesson, root: Path = ROOT) -> list[Path]:
    """Step files a student has changed: their text is neither what the kit recorded nor
    what it would write now."""
    hashes = recorded(root)
    return [
        path
        for path, text in lesson.files.items()
        if _in_steps(path)
        and (on_disk := _digest_of(root / path)) is not None
        and on_disk not in (hashes.get(path.as_posix()), digest(text))
    ]


class StudentsWork(Exception):
    """Files a student changed, which writing the lessons would overwrite."""

    def __init__(self, paths: list[Path]) -> None:
        super().__init__(", ".join(map(str, paths)))
        self.paths = paths


def write(lesson: Lesson, root: Path = ROOT, reset: Collection[int] = frozenset()) -> list[Path]:
    """Write what differs, never over a student's work: raises StudentsWork naming the files,
    unless their steps are in `reset`, whose changed files are kept beside as FILE.mine."""
    theirs = edited(lesson, root)
    kept = [path for path in theirs if _step_of(path) in reset]
    refused = [path for path in theirs if path not in kept]
    if refused:
        raise StudentsWork(refused)
    for path in kept:
        target = root / path
        beside = target.with_name(target.name + ".mine")
        while beside.exists():
            beside = beside.with_name(beside.name + "~")
        target.rename(beside)
    written = []
    for path, text in lesson.files.items():
        target = root / path
        if _read(target) != text:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
            written.append(path)
    (root / PRISTINE.relative_to(ROOT)).write_text(record(lesson))
    return written


def _step_of(path: Path) -> int | None:
    folder = path.parts[1] if len(path.parts) > 2 else ""
    return int(folder[4:]) if folder.startswith("step") and folder[4:].isdigit() else None


def _steps_of(paths: Iterable[Path]) -> set[int]:
    """The steps whose folders hold these paths."""
    return {step for step in map(_step_of, paths) if step is not None}


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m harness lessons", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the generator's output differs from the record")
    parser.add_argument("--reset", type=int, nargs="+", default=[], metavar="STEP", help="write these steps afresh")
    args = parser.parse_args(argv)
    kit.need_checkout("lessons")
    with refused_in_one_line("lessons"):
        lesson = generate()
    steps = _steps_of(lesson.files)
    unknown = sorted(set(args.reset) - steps)
    if unknown:
        parser.error(f"--reset: there is no step {unknown[0]}; the steps are {min(steps)} to {max(steps)}")
    if args.check:
        stale = differences(lesson)
        for name in stale:
            print(f"lessons: out of date: {name} (run `nox -s lessons`)", file=sys.stderr)
        return 1 if stale else 0
    try:
        written = write(lesson, reset=set(args.reset))
    except StudentsWork as work:
        print("lessons: these files hold your own work, so they were left as they are:", file=sys.stderr)
        for path in work.paths:
            print(f"  {path}", file=sys.stderr)
        steps_named = " ".join(str(s) for s in sorted(_steps_of(work.paths)))
        reset = f".venv/bin/nox -s lessons -- --reset {steps_named}"
        print(f"To start a step afresh, keeping your version as FILE.mine: {reset}", file=sys.stderr)
        return 1
    print(f"lessons: wrote {len(written)} of {len(lesson.files)} files" + "".join(f"\n  {p}" for p in written))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
