"""What a run of a scenario found: the first failure, if any, and what every member showed."""

from dataclasses import dataclass, field
from pathlib import Path

from harness.expect import Mismatch, Row
from harness.scenario import Scenario
from harness.timeline import Timeline


@dataclass(frozen=True)
class Failure:
    step: int  # 1-based
    step_text: str
    member: str
    problem: str
    mismatch: Mismatch | None = None
    halted: bool = False  # the room never formed: a program it starts with ended, or could not connect


@dataclass
class Outcome:
    scenario: Scenario
    server: Path
    client: Path
    failure: Failure | None
    screens: dict[str, list[str]]  # what each member finally showed (a robot: what it received)
    expected: dict[str, list[str]]  # what each should have shown, placeholders filled in
    rows: dict[str, list[Row]]  # the judge's verdict on each row of each judged screen, as reports show it
    checked: list[str]  # members whose screens were judged (robots only when expected to see something)
    values: dict[str, str]  # placeholders learned: port, addresses
    exits: dict[str, str]  # how each terminal's program ended
    step_seconds: list[float]
    seconds: float
    timeline: Timeline = field(repr=False)

    @property
    def passed(self) -> bool:
        return self.failure is None
