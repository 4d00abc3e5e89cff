"""Shows an Outcome with rich: every screen side by side, each line marked as matching or not,
and on a failure: expected versus seen, the raw bytes of that line, and a merged timeline."""

import re
from pathlib import Path

from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from harness.engine.runner import Outcome

ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")
TIMELINE_LIMIT = 80  # most recent events shown
PANEL_FRAME = 4  # columns a panel adds around its text (borders and padding)


def render(outcome: Outcome, console: Console) -> None:
    scenario = outcome.scenario
    console.print(Text.assemble((f"Scenario {scenario.name}", "bold"), f": {scenario.description}"))
    console.print(f"server {_shown(outcome.server)}    client {_shown(outcome.client)}", style="dim")
    console.print(screens(outcome, console.width))
    if outcome.failure:
        console.print(failure_details(outcome))
        console.print(timeline(outcome))
    console.print(verdict(outcome))


def _shown(path: Path) -> str:
    """A program's path as the person typed it: relative to where they are, when it is below."""
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)


def screens(outcome: Outcome, width: int) -> RenderableType:
    """One panel a member; side by side when they fit the width, else one under the other."""
    texts = {name: _screen_text(outcome, name) for name in outcome.screens}
    rows = [text.plain.split("\n") for text in texts.values()]
    widths = _panel_widths(texts)
    if sum(widths) <= width:  # side by side, as tall as the tallest: no line wraps there
        height = max(map(len, rows)) + 2
        grid = Table.grid(padding=(0, 0))
        for panel_width in widths:
            grid.add_column(width=panel_width)
        grid.add_row(*(_screen_panel(outcome, name, text, height) for name, text in texts.items()))
        return grid
    # One under the other, each as tall as its lines need once wrapped to the width.
    return Group(*(_screen_panel(outcome, name, text, None) for name, text in texts.items()))


def side_by_side_width(outcome: Outcome) -> int:
    """The columns it takes to show every screen side by side."""
    return sum(_panel_widths({name: _screen_text(outcome, name) for name in outcome.screens}))


def _panel_widths(texts: dict[str, Text]) -> list[int]:
    return [
        max(len(line) for line in [*text.plain.split("\n"), name + " " * 30]) + PANEL_FRAME
        for name, text in texts.items()
    ]


def _screen_panel(outcome: Outcome, name: str, text: Text, height: int | None) -> Panel:
    failed = outcome.failure is not None and outcome.failure.member == name
    judged = name in outcome.rows
    return Panel(
        text if text.plain else Text("(nothing)", style="dim"),
        title=f"[bold]{name}[/]",
        subtitle=outcome.endings[name].describe() if name in outcome.endings else "robot: the lines it received",
        border_style="red" if failed else "green" if judged else "dim",
        box=box.ROUNDED,
        height=height,
    )


def _screen_text(outcome: Outcome, name: str) -> Text:
    """The member's lines, each marked as the judge found it (outcome.rows)."""
    text = Text()
    if name not in outcome.rows:  # a robot nobody asked about: shown, not judged
        for line in outcome.screens[name]:
            text.append(f"  {line}\n", style="dim")
    for row in outcome.rows.get(name, []):
        if row.ok:
            text.append("✓ ", style="green").append(f"{row.seen}\n")
        elif row.seen is None:
            text.append("✗ ", style="red").append(f"(missing) {row.expected}\n", style="red italic")
        else:
            text.append("✗ ", style="red").append(f"{row.seen}\n", style="red")
            if row.expected is not None:
                text.append(f"  ↳ expected {row.expected}\n", style="dim italic")
    text.rstrip()
    return text


def failure_details(outcome: Outcome) -> RenderableType:
    failure = outcome.failure
    assert failure is not None
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    table.add_row("step", f"{failure.step}: {failure.step_text}")
    table.add_row("problem", Text(failure.problem))
    mismatch = failure.mismatch
    if mismatch is not None:
        table.add_row("expected", Text(repr(mismatch.expected) if mismatch.expected is not None else "(no line)"))
        table.add_row("seen", Text(repr(mismatch.seen) if mismatch.seen is not None else "(no line)"))
        for raw in raw_lines(outcome, failure.member, mismatch.seen or mismatch.expected or ""):
            table.add_row("raw bytes", Text(repr(raw)))
    return Panel(table, title=f"[bold red]{failure.member} differs[/]", border_style="red", box=box.ROUNDED)


def raw_lines(outcome: Outcome, member: str, text: str, most: int = 3) -> list[bytes]:
    """The bytes the program wrote for the lines that show text (escapes and all)."""
    raw = outcome.timeline.raw(member)
    needle = text.strip().encode()[:40]
    found = [line for line in raw.split(b"\n") if needle and needle in ANSI.sub(b"", line)]
    return found[-most:] if found else [raw[-120:]]


def timeline(outcome: Outcome) -> RenderableType:
    table = Table(title="Timeline (ms since start)", box=box.SIMPLE_HEAD, title_justify="left")
    table.add_column("ms", justify="right", style="dim")
    table.add_column("who", style="bold")
    table.add_column("what")
    table.add_column("bytes", overflow="fold")
    arrows = {"typed": "typed ⇢", "sent": "sent ⇢", "printed": "⇠ printed", "received": "⇠ received"}
    events = outcome.timeline.events[-TIMELINE_LIMIT:]
    for event in events:
        data = event.data.decode(errors="replace") if event.kind == "action" else repr(event.data)[2:-1]
        table.add_row(f"{event.seconds * 1000:.1f}", event.who, arrows.get(event.kind, event.kind), Text(data))
    return table


def verdict(outcome: Outcome) -> Text:
    steps = len(outcome.scenario.steps)
    if outcome.passed:
        return Text(f"PASS {outcome.scenario.name}: {steps} steps in {outcome.seconds:.2f} s", style="bold green")
    failure = outcome.failure
    assert failure is not None
    return Text(f"FAIL {outcome.scenario.name} at step {failure.step} of {steps}: {failure.problem}", style="bold red")
