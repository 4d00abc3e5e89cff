"""Grading a whole class: every submission in a folder, one CSV for the gradebook.

    python -m harness.grade --class DIR [--out OUT] [--hidden H] [STEP]

Each subfolder of DIR is one student's submission, named after the student, holding srv.py
and cli.py, or a folder that does (harness/grader/submission.py finds them as the autograder does).
A missing file fails the checks that need it, with the reason, and is noted in the CSV; the
other part is still graded. All students' checks share one pool of workers
(--workers, default one a core): a check runs two to four programs, so a pool per student
would oversubscribe the machine. As each student's last check ends, their Gradescope
results.json is written to OUT/NAME/; at the end OUT/summary.csv has one row per student.
Exit status 0 once every student is graded and written, whatever their grades.
"""

import argparse
import csv
from pathlib import Path

from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table
from rich.text import Text

from harness.grader import grading, submission
from harness.model.manifest import Manifest
from harness.model.outcome import Status
from harness.outputs import results

DEFAULT_OUT = Path("grades")
SUMMARY = "summary.csv"
RESULTS = "results.json"


def missing(folder: Path) -> list[str]:
    return [name for name in submission.PROGRAMS if not (folder / name).is_file()]


def note(folder: Path) -> str:
    absent = missing(folder)
    return f"no {' and no '.join(absent)}" if absent else ""


def grade_all(targets: list[grading.Target], args: argparse.Namespace, console: Console, out: Path):
    """Grade every student in one pool; write each one's results.json as soon as it is complete."""
    grades: dict[str, grading.Grade] = {}
    pending: dict[str, list[grading.CheckResult]] = {target.label: [] for target in targets}
    columns = (SpinnerColumn(), TextColumn("{task.fields[what]:>8}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TextColumn("{task.description}"), console=console, transient=True) as progress:
        students = progress.add_task("", total=len(targets), what="students")
        checks = progress.add_task("", total=sum(len(t.checks) for t in targets), what="checks")

        def finish(result: grading.CheckResult) -> None:
            target = result.target
            progress.update(checks, advance=1, description=f"{target.label}: {result.check.name}")
            pending[target.label].append(result)
            if len(pending[target.label]) == len(target.checks):
                order = {check.name: index for index, check in enumerate(target.checks)}
                done = sorted(pending.pop(target.label), key=lambda r: order[r.check.name])
                grade = grading.Grade(done, sum(r.seconds for r in done))
                results.write_json(grade, out / target.label / RESULTS)
                grades[target.label] = grade
                progress.update(students, advance=1, description=f"{target.label} done")

        grading.grade(targets, workers=args.workers, timeout=args.timeout, on_result=finish)
    return {target.label: grades[target.label] for target in targets}


def write_csv(grades: dict[str, grading.Grade], notes: dict[str, str], path: Path) -> None:
    """One row per student: score, max, each check's status (in the manifest's order), seconds, note."""
    names = [result.check.name for result in next(iter(grades.values())).results]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["student", "score", "max", *names, "seconds", "note"])
        for student, grade in grades.items():
            statuses = [result.status.value for result in grade.results]  # passed, failed, skipped
            score, most = f"{grade.score:g}", f"{grade.max_score:g}"
            writer.writerow([student, score, most, *statuses, f"{grade.seconds:.1f}", notes[student]])


def class_table(grades: dict[str, grading.Grade], notes: dict[str, str]) -> Table:
    """The instructor's view: a row per student, with the first check that failed (hidden ones too)."""
    table = Table(box=box.SIMPLE_HEAD, title="Class", title_justify="left")
    for column in ("student", "points", "checks passed", "first failure", "note"):
        table.add_column(column, justify="right" if column == "points" else "left")
    for student, grade in grades.items():
        passed = sum(result.status is Status.PASSED for result in grade.results)
        first = next((r for r in grade.results if r.status is Status.FAILED), None)
        failure = "" if first is None else first.check.name + (" (hidden)" if first.check.hidden else "")
        style = "green" if grade.passed else "red"
        table.add_row(
            student,
            f"{grade.score:g} / {grade.max_score:g}",
            Text(f"{passed} of {len(grade.results)}", style=style),
            failure,
            Text(notes[student], style="yellow"),
        )
    return table


def main(manifest: Manifest, args: argparse.Namespace, console: Console) -> int:
    folders = submission.submissions(args.class_dir)
    up_to = args.steps[0] if args.steps else None
    programs, notes = {}, {}
    for folder in folders:  # where each student's programs are, as the autograder finds them
        try:
            programs[folder.name] = submission.locate(folder.resolve())
            notes[folder.name] = note(programs[folder.name])
        except submission.SubmissionError as error:
            programs[folder.name], notes[folder.name] = folder.resolve(), str(error)
    targets = [grading.folder_target(manifest, programs[f.name], up_to, label=f.name) for f in folders]
    out = args.out or DEFAULT_OUT
    grades = grade_all(targets, args, console, out)
    write_csv(grades, notes, out / SUMMARY)
    console.print(class_table(grades, notes))
    everyone = all(grade.passed for grade in grades.values())
    console.print(
        f"{sum(g.passed for g in grades.values())} of {len(grades)} students passed every check; "
        f"wrote {out / SUMMARY} and {len(grades)} results files in {out}/NAME/{RESULTS}",
        style="bold green" if everyone else "bold",
    )
    return 0  # every student graded and written: a student's failures are data, not the command's
