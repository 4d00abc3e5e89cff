"""Grading at a student's (or an instructor's) terminal: a lesson step, a folder, where the
student is (`--status`), again at every save (`--watch`); a class is grade_class's. The
command line and its checks are harness/grade.py's.
"""

import argparse
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn
from rich.text import Text

from harness.grader import grading, progress, submission
from harness.model.manifest import ManifestError, add_hidden, load_manifest
from harness.outputs import disclosure, grade_report, results
from harness.platforms import classroom, grade_class
from harness.system import sandbox

WATCH_POLL = 0.5  # seconds between looks at the files; polling also works on network mounts and WSL


def targets(args: argparse.Namespace, manifest) -> list[grading.Target]:
    if args.path is not None:
        up_to = args.steps[0] if args.steps else None
        if up_to is not None:
            manifest.step(up_to)  # a clear error for a step that does not exist
        return [grading.folder_target(manifest, programs_of(args.path.resolve()), up_to)]
    numbers = args.steps or [step.number for step in manifest.steps]
    for number in numbers:
        manifest.step(number)
    return grading.step_targets(manifest, numbers, args.lessons)


def programs_of(folder: Path) -> Path:
    """The folder whose programs are graded (harness/grader/submission.py): a folder with none keeps
    its own path, and its checks say that the files are missing."""
    try:
        return submission.locate(folder)
    except submission.SubmissionError as error:
        if error.ambiguous:
            raise
        return folder


def run(chosen: list[grading.Target], args: argparse.Namespace, console: Console) -> grading.Grade:
    total = sum(len(target.checks) for target in chosen)
    columns = (
        SpinnerColumn(),
        TextColumn("grading"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("", total=total)

        def advance(result: grading.CheckResult) -> None:
            progress.update(task, advance=1, description=f"{result.target.label}: {result.check.name}")

        return grading.grade(chosen, workers=args.workers, timeout=args.timeout, on_result=advance)


def where_you_are(manifest, args: argparse.Namespace, console: Console, first_failure: bool) -> int:
    """Each step's state, regrading only the steps whose files changed since they were last
    graded; with first_failure, also the first unfinished step's first failure in full."""
    saved = progress.load()
    kit = progress.kit_key(f"{args.spec} {args.hidden and progress.step_key(args.hidden, '')}")
    folders = {step.number: args.lessons / f"step{step.number}" for step in manifest.steps}
    keys = {
        f"step {number}": progress.step_key(folder, kit)
        for number, folder in folders.items()
        if folder.is_dir() and not progress.untouched(folder, number)
    }
    changed = [number for number in folders if f"step {number}" in keys and keys[f"step {number}"] not in saved]
    if changed:
        progress.remember(saved, run(grading.step_targets(manifest, changed, args.lessons), args, console), keys)
        progress.save(saved)
    states = progress.states(manifest, args.lessons, saved, keys)
    console.print(grade_report.progress_table(states))
    unfinished = next((state for state in states if state.state != "done"), None)
    if unfinished is None:
        console.print(Text("Every step is done.", style="bold green"))
        return 0
    if first_failure:
        grade = run(grading.step_targets(manifest, [unfinished.number], args.lessons), args, console)
        failed = disclosure.first_failure(grade.results)
        if failed is not None:
            console.print(grade_report.failure_panel(failed))
    number = unfinished.number
    console.print(f"Next: step {number}, {unfinished.title}: lessons/step{number}/README.md; "
                  f"grade it with: .venv/bin/nox -s grade -- {number}")  # fmt: skip
    return 1


def watch(chosen: list[grading.Target], args: argparse.Namespace, console: Console) -> int:
    """Grade, then grade again each time a .py file of the graded folder changes; Ctrl-C ends."""
    folder = chosen[0].folder

    def stamps() -> dict[Path, float]:
        return {path: path.stat().st_mtime for path in folder.glob("*.py")}

    seen = None
    try:
        while True:
            now = stamps()
            if now != seen:
                seen = now
                console.clear()
                grade_report.render(run(chosen, args, console), console)
                console.print(f"[dim]watching {folder} for changes; Ctrl-C to stop[/]")
                console.file.flush()  # also when the output is a pipe (an editor, a log)
            time.sleep(WATCH_POLL)
    except KeyboardInterrupt:
        return 0


def main(args: argparse.Namespace) -> int:
    """Grade as the arguments (harness/grade.py, already checked) say; the exit status."""
    console = Console(highlight=False)
    others = args.class_dir is not None or args.hidden is not None  # grading others' work, or with secrets
    if others and sandbox.warning():
        print(f"grade: warning: {sandbox.warning()}", file=sys.stderr)
    try:
        manifest = load_manifest()
        if args.hidden is not None:
            manifest = add_hidden(manifest, args.hidden)
        manifest = manifest.spec(args.spec)
        if args.class_dir is not None:
            if args.steps:
                manifest.step(args.steps[0])  # a clear error for a step that does not exist
            return grade_class.main(manifest, args, console)
        if args.status or (not args.steps and args.path is None and not args.watch):
            return where_you_are(manifest, args, console, first_failure=not args.status)
        chosen = targets(args, manifest)
    except (ManifestError, submission.SubmissionError) as error:
        print(f"grade: error: {error}", file=sys.stderr)
        return 2
    if args.watch:
        return watch(chosen, args, console)
    grade = run(chosen, args, console)
    grade_report.render(grade, console)
    if args.json:
        results.write_json(grade, args.json)
    if args.junit:
        results.write_junit(grade, args.junit)
    if args.classroom:
        classroom.write_result(grade, args.classroom)
    return 0 if grade.passed else 1
