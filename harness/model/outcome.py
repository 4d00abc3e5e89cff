"""What a run of a scenario found: the first failure, if any, and what every member showed.

A failure is data: where (the step, the member), what differed (the line, expected and seen),
how the programs had ended, how the wait for the screens ended, and what caused it (a limit
broken, a crash). Its sentence, `Failure.problem`, is rendered from those fields; only what
no field holds (a port, a crowd's streams) is kept in the engine's own words, as `what`.
"""

import signal
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path

from harness.model.expect import NO_LINE_END, Mismatch, Row
from harness.model.scenario import Scenario
from harness.model.timeline import Timeline

# Why a room that stays wrong while one program runs flat out fails (Failure.waited.spinning).
SPINNING = (
    "printing and sending nothing: a loop that never waits? select() reports a socket as readable "
    "again and again until the program reads it, or closes it once the other end has closed"
)


class Status(StrEnum):
    """What became of a check. The outputs map it to their own words (results.json, JUnit, CSV)."""

    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"  # a check it needs found that the program cannot run at all


@dataclass(frozen=True)
class Ending:
    """How a terminal's program ended, as the grader last saw it."""

    status: int | None = None  # its exit status, once it exited
    signal: int | None = None  # the signal that killed it
    running: bool = False  # it had not ended when looked at
    by_harness: bool = False  # it still ran when the room closed, which ended it
    stopped: bool = False  # the grader stopped it, for printing too much

    def describe(self) -> str:
        """'exited with status 1', 'was killed by SIGINT (...)', 'is still running', ..."""
        if self.stopped:
            return "was stopped by the grader"
        if self.by_harness:
            return "was still running at the end"
        if self.running:
            return "is still running"
        if self.signal is not None:
            name = signal.Signals(self.signal).name
            why = " (an uncaught KeyboardInterrupt ends Python this way)" if name == "SIGINT" else ""
            return f"was killed by {name}{why}"
        return f"exited with status {self.status}"


@dataclass(frozen=True)
class Wait:
    """How a step's wait ended with a screen still wrong, but not final (its program still ran)."""

    seconds: float  # the timeout it waited out; spinning: how long the program ran flat out
    quiet: bool = False  # every program waited for input: nothing more was on its way
    spinning: str = ""  # the member whose program ran flat out, printing and sending nothing

    def describe(self) -> str:
        if self.spinning:
            return f" ({self.spinning}: its program ran flat out for {self.seconds:g} s, {SPINNING})"
        if self.quiet:
            return " (and every program waited for input: nothing more was on its way)"
        return f" (still so after {self.seconds:g} s)"


@dataclass(frozen=True)
class Crash:
    """A program that died of an exception: its last line, and the line of the student's file."""

    program: str  # "srv.py", "cli.py", or the member's name
    exception: str  # "ValueError: bad"
    path: str  # as the student knows it
    line: int

    def describe(self) -> str:
        return f"{self.program} crashed: {self.exception} ({self.path}, line {self.line})"


@dataclass(frozen=True)
class Failure:
    """The first thing a run found wrong. `problem` says it in a sentence, `said` with its step."""

    step: int  # 1-based
    step_text: str
    member: str  # the terminal, robot or crowd user it was seen on
    what: str = ""  # what was wrong, in the engine's words, when no field below says it
    mismatch: Mismatch | None = None  # the first line that differs: its number, expected and seen
    unfinished: str = ""  # what a robot received last with no line end after it
    expected_exit: int | None = None  # the exit status the member's program should have ended with
    ending: Ending | None = None  # how a program had ended, where that explains the failure
    ended: str = ""  # ... whose: the member's own (""), or the crowd's server when a user failed
    waited: Wait | None = None  # how the wait ended; None: the screen could no longer change
    limit: str = ""  # a limit a program broke, the cause of the rest: "srv.py printed more than ..."
    crash: Crash | None = None  # the exception the failing program died of
    halted: bool = False  # the room never formed: a program it starts with ended, or could not connect

    @property
    def problem(self) -> str:
        said = self.what
        if not said and self.mismatch is not None:
            said = f"{self.member}: {self.mismatch.describe()}"
        if not said and self.expected_exit is not None:
            said = f"{self.member}: should have ended with exit status {self.expected_exit}"
        if self.unfinished:
            said += f"; it received {self.unfinished!r} with no line end after it: {NO_LINE_END}"
        if self.ending is not None:
            said += self._ended()
        if self.waited is not None:
            said += self.waited.describe()
        if self.crash is not None:
            said = f"{self.crash.describe()}. {said}"
        if self.limit:
            said = f"{self.limit}; {said}" if said else self.limit
        return said

    def _ended(self) -> str:
        assert self.ending is not None
        how = self.ending.describe()
        if self.expected_exit is not None:
            return f", but it {how}"
        if self.ended and self.ended != self.member:
            return f" (the {self.ended} {how})"
        return f" ({self.member}'s program {how})"

    def said(self) -> str:
        """The problem and where: what a student is told of a failed check, in one line."""
        return f"{self.problem} [scenario step {self.step}: {self.step_text}]"

    def at(self, step: int, step_text: str, halted: bool = False) -> "Failure":
        """This failure, found before its step was known (StepFailed), at that step."""
        return replace(self, step=step, step_text=step_text, halted=halted)


@dataclass
class Outcome:
    scenario: Scenario
    server: Path
    client: Path
    failure: Failure | None
    screens: dict[str, list[str]]  # what each member finally showed (a robot: what it received)
    values: dict[str, str]  # placeholders learned: port, addresses
    endings: dict[str, Ending]  # how each terminal's program ended
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
