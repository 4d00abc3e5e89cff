"""Grade the lesson steps, or any folder with a srv.py and a cli.py.

    python -m harness.grade              where you are: each step done, to do or not started, and
                                         the first unfinished step's first failure
    python -m harness.grade 3            step 3 (on the checks of steps 1 to 3)
    python -m harness.grade --path DIR   a submission, on every check
    python -m harness.grade --watch 3    grade step 3 again whenever one of its files changes
    python -m harness.grade --status     which steps are done (steps whose files did not change are not regraded)
    python -m harness.grade --class DIR  every submission folder in DIR: a CSV, a results.json each
    python -m harness.grade --hidden DIR ...  also the instructor's hidden checks in DIR
    python -m harness.grade --spec documented ...  only what the documentation shows (the original assignment)

`nox -s grade -- ARGS` runs the same. Exit status: 0 when every check passed (with --class:
when every submission was graded), 1 when one did not, 2 for bad usage.
"""

import signal

if __name__ == "__main__":  # Ctrl-C while the grader loads ends it quietly: nothing has started yet
    signal.signal(signal.SIGINT, signal.SIG_DFL)

import argparse
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn
from rich.text import Text

from harness.grader import grading, progress, submission
from harness.model.manifest import LESSONS, SPECS, ManifestError, add_hidden, load_manifest
from harness.outputs import disclosure, grade_report, results
from harness.platforms import classroom, grade_class
from harness.system import sandbox

WATCH_POLL = 0.5  # seconds between looks at the files; polling also works on network mounts and WSL


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="grade", description=__doc__.split("\n\n")[0])
    parser.add_argument("steps", nargs="*", type=int, metavar="STEP", help="steps to grade (default: all)")
    parser.add_argument("--path", type=Path, metavar="DIR", help="grade this folder's srv.py and cli.py instead")
    parser.add_argument(
        "--lessons", type=Path, default=LESSONS, metavar="DIR", help="where the step folders are (default: lessons/)"
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write Gradescope's results.json here")
    parser.add_argument("--junit", type=Path, metavar="FILE", help="also write JUnit XML here")
    parser.add_argument("--classroom", type=Path, metavar="FILE", help="also write GitHub Classroom's result here")
    parser.add_argument("--watch", action="store_true", help="grade again whenever a graded file changes")
    parser.add_argument("--status", action="store_true", help="show which steps are done")
    parser.add_argument("--workers", type=int, metavar="N", help="checks run side by side (default: one a core)")
    parser.add_argument("--timeout", type=float, metavar="S", help="seconds any one wait may take")
    parser.add_argument("--hidden", type=Path, metavar="DIR", help="also the hidden checks of DIR/checks.toml")
    parser.add_argument(
        "--spec",
        choices=SPECS,
        default="all",
        help="all: every check (default); documented: only what the documentation's terminals show",
    )
    parser.add_argument("--class", type=Path, dest="class_dir", metavar="DIR", help="grade every submission in DIR")
    parser.add_argument("--out", type=Path, metavar="DIR", help="with --class: where the results go (default: grades)")
    args = parser.parse_args(argv)
    if args.hidden is not None and not args.hidden.is_dir():
        parser.error(f"--hidden: no such folder: {args.hidden}")
    if args.class_dir is not None:
        check_class_args(parser, args)
    elif args.out is not None:
        parser.error("--out goes with --class DIR")
    if args.path is not None and not args.path.is_dir():
        parser.error(f"--path: no such folder: {args.path}")
    if not args.lessons.is_dir():
        parser.error(f"--lessons: no such folder: {args.lessons}")
    if args.path is not None and len(args.steps) > 1:
        parser.error("with --path, give at most one STEP: the last step whose checks apply")
    if args.watch and args.path is None and len(args.steps) != 1:
        parser.error("--watch grades one thing: give one STEP, or --path DIR")
    if args.workers is not None and args.workers < 1:
        parser.error("--workers takes a number from 1 up")
    if args.timeout is not None and args.timeout <= 0:
        parser.error("--timeout takes a positive number of seconds")
    return args


def check_class_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if not args.class_dir.is_dir():
        parser.error(f"--class: no such folder: {args.class_dir}")
    if not grade_class.submissions(args.class_dir):
        parser.error(f"--class: no submission folders in {args.class_dir} (one folder per student)")
    clashes = [option for option in ("path", "json", "junit", "classroom", "watch", "status") if getattr(args, option)]
    if clashes:
        parser.error(f"--class grades every folder of DIR on its own; it does not go with --{clashes[0]}")
    if len(args.steps) > 1:
        parser.error("with --class, give at most one STEP: the last step whose checks apply")
    if args.out is not None and args.out.exists() and not args.out.is_dir():
        parser.error(f"--out: not a folder: {args.out}")


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


def main(argv: list[str]) -> int:
    args = parse_args(argv)
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


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:  # every room has ended its programs on the way out
        print("interrupted", file=sys.stderr)
        sys.exit(130)
