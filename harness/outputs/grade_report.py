"""Shows a Grade with rich: a table of every check, then each target's first failure in
detail (expected against seen, the terminal it was on, the end of that screen, the hint)."""

import sys
from pathlib import Path

from rich import box
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from harness.grader.catalogue import recognise
from harness.grader.explain import shown_path
from harness.grader.grading import CheckResult, Grade
from harness.grader.progress import StepState
from harness.model import kit
from harness.model.manifest import kit_rule
from harness.model.outcome import Status
from harness.outputs import disclosure

MARKS = {
    Status.PASSED: ("✓ passed", "green"),
    Status.FAILED: ("✗ failed", "red"),
    Status.SKIPPED: ("– skipped", "yellow"),
}
SCREEN_TAIL = 10  # lines of the failing terminal shown under a failure


def render(grade: Grade, console: Console) -> None:
    console.print(results_table(grade))
    for results in grade.by_target().values():
        first = disclosure.first_failure(results)
        if first is not None:
            console.print(failure_panel(first))
    console.print(summary(grade))


def results_table(grade: Grade) -> Table:
    table = Table(box=box.SIMPLE_HEAD, title="Checks", title_justify="left")
    for column in ("graded", "step", "check", "layer", "part", "result", "points"):
        table.add_column(column, justify="right" if column == "points" else "left")
    for label, results in grade.by_target().items():
        disclosed = disclosure.for_students(results)
        shown = [d.result for d in disclosed if d.detailed]
        for index, result in enumerate(shown):
            mark, style = MARKS[result.status]
            if result.blocked_by:  # why it was skipped, in short
                mark += f": {result.blocked_by} found it cannot run"
            table.add_row(
                label if index == 0 else "",
                str(result.check.step),
                result.check.name,
                result.check.layer,
                result.check.part,
                Text(mark, style=style),
                f"{result.score:g} / {result.check.points:g}",
            )
        hidden = [d.result for d in disclosed if not d.detailed]
        if hidden:
            table.add_row("" if shown else label, "", *hidden_row(hidden))  # reads "3 hidden checks  not shown ..."
        table.add_section()
    return table


def hidden_row(hidden: list[CheckResult]) -> tuple[str, str, str, Text, str]:
    """The checks a student may not see in detail (disclosure), in one line: how many, how many
    passed, the points (check, layer, part, result, points)."""
    passed = sum(result.status is Status.PASSED for result in hidden)
    score, most = sum(r.score for r in hidden), sum(r.check.points for r in hidden)
    style = "green" if passed == len(hidden) else "red"
    count = f"{len(hidden)} hidden check{'s' if len(hidden) > 1 else ''}"
    return count, "", "not shown", Text(f"{passed} of {len(hidden)} passed", style=style), f"{score:g} / {most:g}"


def failure_panel(result: CheckResult) -> Panel:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    outcome, failure, check = result.outcome, result.failure, result.check
    grid.add_row("check", f"{check.name} (step {check.step}, scenario {outcome.scenario.name if outcome else '-'}): "
                 + check.describe())  # fmt: skip
    if failure is None:
        grid.add_row("problem", Text(result.message))
    else:
        assert outcome is not None  # a failure is an outcome's
        grid.add_row("at", f"scenario step {failure.step}: {failure.step_text}")
        member = failure.member
        kind = outcome.scenario.members().get(member, "")
        program = outcome.server if kind == "server" else outcome.client if kind == "client" else None
        grid.add_row("terminal", f"{member}" + (f", running {shown_path(program)}" if program else ""))
        grid.add_row("problem", Text(failure.problem))
        if failure.mismatch is not None:
            grid.add_row("expected", Text(_quoted(failure.mismatch.expected)))
            grid.add_row("seen", Text(_quoted(failure.mismatch.seen)))
        screen = outcome.screens.get(member, [])
        if screen:
            tail = screen[-SCREEN_TAIL:]
            grid.add_row(f"{member}'s screen", Text("\n".join(tail) + ("\n…" if len(screen) > SCREEN_TAIL else "")))
    for label, text in advice(result):
        grid.add_row(label, Text(text, style=ADVICE_STYLES.get(label, "")))
    return Panel(grid, title=f"[bold red]{result.target.label}: first failure[/]", border_style="red", box=box.ROUNDED)


ADVICE_STYLES = {"mistake": "yellow", "hint": "cyan", "replay": "dim"}


def advice(result: CheckResult) -> list[tuple[str, str]]:
    """What to do about a failure, as (label, text): the catalogued mistake it looks like,
    the kit's rule if the check judges one, the hint (the mistake's own explanation when it
    was recognised, else the check's), and the command that replays it."""
    check, rows = result.check, []
    mistakes = recognise(check.name, result.message)
    named = [f"{mistake.name}: {mistake.description} ({mistake.anchor})" for mistake in mistakes]
    if len(named) == 1:
        rows.append(("mistake", f"this looks like {named[0]}"))
    elif named:
        rows.append(("mistake", "this looks like one of these: " + "; or ".join(named)))
    if check.rule:
        rows.append(("kit rule", kit_rule(check)))
    hint = mistakes[0].why if len(mistakes) == 1 and mistakes[0].why else check.hint
    if hint:
        rows.append(("hint", hint))
    if result.outcome is not None:
        rows.append(("replay", replay_command(result)))
    return rows


def replay_command(result: CheckResult) -> str:
    """The command that runs this check's scenario again, with the same programs, side by side."""
    server, client = result.target.programs(result.check)
    scenario = result.check.scenario  # a name, or a hidden check's file
    scenario = shown_path(Path(scenario)) if scenario.endswith(".toml") else scenario
    script = shown_path(kit.PACKAGE / "run_scenario.py")
    python = shown_path(Path(sys.executable))
    return f"{python} {script} {scenario} --server {shown_path(server)} --client {shown_path(client)}"


def _quoted(line: str | None) -> str:
    return "(no line)" if line is None else repr(line)


def summary(grade: Grade) -> Group:
    lines = []
    for label, results in grade.by_target().items():
        score, most = sum(r.score for r in results), sum(r.check.points for r in results)
        passed = sum(r.status is Status.PASSED for r in results)
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


STATE_STYLES = {"done": ("✓ done", "green"), "to do": ("✗ to do", "red"), "not started": ("· not started", "dim")}


def progress_table(states: list[StepState]) -> Table:
    """One row a step: done, to do (with its own checks that fail), or not started."""
    table = Table(box=box.SIMPLE_HEAD, title="Your progress", title_justify="left")
    for column in ("step", "title", "state", "failing"):
        table.add_column(column)
    for state in states:
        mark, style = STATE_STYLES[state.state]
        table.add_row(str(state.number), state.title, Text(mark, style=style), ", ".join(state.failing))
    return table
