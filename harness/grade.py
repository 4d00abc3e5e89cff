"""Grade the lesson steps, or any folder with a srv.py and a cli.py.

    python -m harness.grade              every step in lessons/
    python -m harness.grade 3            step 3 (on the checks of steps 1 to 3)
    python -m harness.grade --path DIR   a submission, on every check
    python -m harness.grade --watch 3    grade step 3 again whenever one of its files changes
    python -m harness.grade --status     which steps are done

`nox -s grade -- ARGS` runs the same. Exit status: 0 when every check passed, 1 when
one did not, 2 for bad usage.
"""

import argparse
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

from harness import grade_report, grading, results
from harness.manifest import ManifestError, load_manifest

WATCH_POLL = 0.5  # seconds between looks at the files; polling also works on network mounts and WSL


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="grade", description=__doc__.split("\n\n")[0])
    parser.add_argument("steps", nargs="*", type=int, metavar="STEP", help="steps to grade (default: all)")
    parser.add_argument("--path", type=Path, metavar="DIR", help="grade this folder's srv.py and cli.py instead")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write Gradescope's results.json here")
    parser.add_argument("--junit", type=Path, metavar="FILE", help="also write JUnit XML here")
    parser.add_argument("--watch", action="store_true", help="grade again whenever a graded file changes")
    parser.add_argument("--status", action="store_true", help="show which steps are done")
    parser.add_argument("--workers", type=int, metavar="N", help="checks run side by side (default: one a core)")
    parser.add_argument("--timeout", type=float, metavar="S", help="seconds any one wait may take")
    args = parser.parse_args(argv)
    if args.path is not None and not args.path.is_dir():
        parser.error(f"--path: no such folder: {args.path}")
    if args.path is not None and len(args.steps) > 1:
        parser.error("with --path, give at most one STEP: the last step whose checks apply")
    if args.watch and args.path is None and len(args.steps) != 1:
        parser.error("--watch grades one thing: give one STEP, or --path DIR")
    if args.workers is not None and args.workers < 1:
        parser.error("--workers takes a number from 1 up")
    if args.timeout is not None and args.timeout <= 0:
        parser.error("--timeout takes a positive number of seconds")
    return args


def targets(args: argparse.Namespace, manifest) -> list[grading.Target]:
    if args.path is not None:
        up_to = args.steps[0] if args.steps else None
        if up_to is not None:
            manifest.step(up_to)  # a clear error for a step that does not exist
        return [grading.folder_target(manifest, args.path.resolve(), up_to)]
    numbers = args.steps or [step.number for step in manifest.steps]
    for number in numbers:
        manifest.step(number)
    return grading.step_targets(manifest, numbers)


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
    try:
        manifest = load_manifest()
        if args.status:
            grade = run(grading.step_targets(manifest, [s.number for s in manifest.steps]), args, console)
            console.print(grade_report.status_table(manifest, grade))
            return 0 if grade.passed else 1
        chosen = targets(args, manifest)
    except ManifestError as error:
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
    return 0 if grade.passed else 1


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:  # every room has ended its programs on the way out
        print("interrupted", file=sys.stderr)
        sys.exit(130)
