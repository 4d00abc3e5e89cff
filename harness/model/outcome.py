"""What a run of a scenario found: the first failure, if any, and what every member showed."""

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from harness.model.expect import Mismatch, Row
from harness.model.scenario import Scenario
from harness.model.timeline import Timeline


class Status(StrEnum):
    """What became of a check. The outputs map it to their own words (results.json, JUnit, CSV)."""

    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"  # a check it needs found that the program cannot run at all


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
    values: dict[str, str]  # placeholders learned: port, addresses
    exits: dict[str, str]  # how each terminal's program ended
    step_seconds: list[float]
    seconds: float
    timeline: Timeline = field(repr=False)
    # Screens judged line by line (a crowd's streams are judged as wholes, and have none):
    expected: dict[str, list[str]] = field(default_factory=dict)  # what each should have shown, filled in
    rows: dict[str, list[Row]] = field(default_factory=dict)  # the judge's verdict on each row, as shown
    checked: list[str] = field(default_factory=list)  # members judged (robots only when expected to see something)

    @property
    def passed(self) -> bool:
        return self.failure is None
