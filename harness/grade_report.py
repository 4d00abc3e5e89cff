"""Shows a Grade with rich: a table of every check, then each target's first failure in
detail (expected against seen, the terminal it was on, the end of that screen, the hint)."""

from rich import box
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from harness.grading import CheckResult, Grade
from harness.manifest import Manifest

MARKS = {"passed": ("✓ passed", "green"), "failed": ("✗ failed", "red"), "skipped": ("– skipped", "yellow")}
SCREEN_TAIL = 10  # lines of the failing terminal shown under a failure


def render(grade: Grade, console: Console) -> None:
    console.print(results_table(grade))
    for results in grade.by_target().values():
        first = next((r for r in results if r.status == "failed" and not r.check.hidden), None)
        if first is not None:
            console.print(failure_panel(first))
    console.print(summary(grade))


def results_table(grade: Grade) -> Table:
    table = Table(box=box.SIMPLE_HEAD, title="Checks", title_justify="left")
    for column in ("graded", "step", "check", "part", "result", "points"):
        table.add_column(column, justify="right" if column == "points" else "left")
    for label, results in grade.by_target().items():
        shown = [result for result in results if not result.check.hidden]
        for index, result in enumerate(shown):
            mark, style = MARKS[result.status]
            table.add_row(
                label if index == 0 else "",
                str(result.check.step),
                result.check.name,
                result.check.part,
                Text(mark, style=style),
                f"{result.score:g} / {result.check.points:g}",
            )
        hidden = [result for result in results if result.check.hidden]
        if hidden:
            table.add_row("" if shown else label, "", *hidden_row(hidden))  # reads "3 hidden checks  not shown ..."
        table.add_section()
    return table


def hidden_row(hidden: list[CheckResult]) -> tuple[str, str, Text, str]:
    """Hidden checks in one line, as a student may see them: how many, how many passed, the
    points; not which ones, nor why (check, part, result, points)."""
    passed = sum(result.status == "passed" for result in hidden)
    score, most = sum(r.score for r in hidden), sum(r.check.points for r in hidden)
    style = "green" if passed == len(hidden) else "red"
    count = f"{len(hidden)} hidden check{'s' if len(hidden) > 1 else ''}"
    return count, "not shown", Text(f"{passed} of {len(hidden)} passed", style=style), f"{score:g} / {most:g}"


def failure_panel(result: CheckResult) -> Panel:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    outcome = result.outcome
    failure = outcome.failure if outcome else None
    grid.add_row("check", f"{result.check.name} (step {result.check.step}): {result.check.describe()}")
    if failure is None:
        grid.add_row("problem", Text(result.message))
    else:
        grid.add_row("at", f"scenario step {failure.step}: {failure.step_text}")
        member = failure.member
        kind = outcome.scenario.members().get(member, "")
        program = outcome.server if kind == "server" else outcome.client if kind == "client" else None
        grid.add_row("terminal", f"{member}" + (f", running {program}" if program else ""))
        grid.add_row("problem", Text(failure.problem))
        if failure.mismatch is not None:
            grid.add_row("expected", Text(_quoted(failure.mismatch.expected)))
            grid.add_row("seen", Text(_quoted(failure.mismatch.seen)))
        screen = outcome.screens.get(member, [])
        if screen:
            tail = screen[-SCREEN_TAIL:]
            grid.add_row(f"{member}'s screen", Text("\n".join(tail) + ("\n…" if len(screen) > SCREEN_TAIL else "")))
    if result.check.hint:
        grid.add_row("hint", Text(result.check.hint, style="cyan"))
    return Panel(grid, title=f"[bold red]{result.target.label}: first failure[/]", border_style="red", box=box.ROUNDED)


def _quoted(line: str | None) -> str:
    return "(no line)" if line is None else repr(line)


def summary(grade: Grade) -> Group:
    lines = []
    for label, results in grade.by_target().items():
        score, most = sum(r.score for r in results), sum(r.check.points for r in results)
        passed = sum(r.status == "passed" for r in results)
        style = "green" if passed == len(results) else "red"
        lines.append(Text(f"{label}: {passed} of {len(results)} checks, {score:g} / {most:g} points", style=style))
    verdict = "every check passed" if grade.passed else "some checks failed"
    lines.append(
        Text(
            f"Total {grade.score:g} / {grade.max_score:g} points: {verdict} ({grade.seconds:.1f} s)",
            style="bold green" if grade.passed else "bold red",
        )
    )
    return Group(*lines)


def status_table(manifest: Manifest, grade: Grade) -> Table:
    """One row a step: done, or how many of its own checks still fail."""
    by_label = grade.by_target()
    table = Table(box=box.SIMPLE_HEAD, title="Your progress", title_justify="left")
    for column in ("step", "title", "status", "points"):
        table.add_column(column)
    for step in manifest.steps:
        own = [r for r in by_label.get(f"step {step.number}", []) if r.check.step == step.number]
        failing = [r for r in own if r.status != "passed"]
        status = Text("✓ done", style="green") if not failing else Text(f"✗ {len(failing)} to go", style="red")
        points = f"{sum(r.score for r in own):g} / {sum(r.check.points for r in own):g}"
        table.add_row(str(step.number), step.title, status, points)
    return table
