"""What a student may see of a check's result: the one rule every output follows.

A hidden check (an instructor's, Check.hidden) is counted, with its status and points, but
not named: it is "hidden check N", numbered in the order given. Nothing of why it failed is
shown either (its message, screens, mistake, hint and replay command would give its scenario
away). Gradescope's results.json is read by the instructor too: it holds every check in full,
and marks what the student may not see with its visibility, which Gradescope applies.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from harness.grader.grading import CheckResult
from harness.model.outcome import Status

HIDDEN_NAME = "hidden check"


@dataclass(frozen=True)
class Disclosed:
    """One check's result as a student may see it."""

    result: CheckResult
    name: str  # the check's name; a hidden check's "hidden check N"
    detailed: bool  # whether its message and failure (screens, advice) may be shown

    @property
    def status(self) -> Status:
        return self.result.status

    @property
    def message(self) -> str:
        """Why it failed or was skipped, or "" when that may not be shown."""
        return self.result.message if self.detailed else ""


def for_students(results: Iterable[CheckResult]) -> list[Disclosed]:
    """Each result as a student may see it, in the order given."""
    shown, hidden = [], 0
    for result in results:
        if result.check.hidden:
            hidden += 1
            shown.append(Disclosed(result, f"{HIDDEN_NAME} {hidden}", detailed=False))
        else:
            shown.append(Disclosed(result, result.check.name, detailed=True))
    return shown


def first_failure(results: Iterable[CheckResult]) -> CheckResult | None:
    """The first failed check a student may see in full: the one to show in detail."""
    failed = (d for d in for_students(results) if d.detailed and d.status is Status.FAILED)
    return next((d.result for d in failed), None)
