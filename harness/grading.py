"""Grading: run the manifest's checks on a folder of srv.py and cli.py, in parallel.

A check judges one part. For a "server" check the folder's srv.py runs with the
reference client; for a "client" check the reference server runs with the folder's
cli.py; "both" runs the folder's two programs together. So a bug is pinned on the part
that has it. A check whose `needs` did not pass is skipped, with the reason.

Every check runs its programs contained (harness/containment.py): limits on CPU time,
memory, files, processes and output, in a temporary folder of their own. A limit a program
broke fails the check, named as its cause.
"""

import dataclasses
import os
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from harness import containment, runner
from harness.manifest import LESSONS, Check, Manifest


@dataclass(frozen=True)
class Target:
    """A folder to grade on some checks: a lesson step's folder, or a student's submission."""

    label: str
    folder: Path
    checks: tuple[Check, ...]

    def programs(self, check: Check) -> tuple[Path, Path]:
        server = self.folder / "srv.py" if check.part in ("server", "both") else runner.REFERENCE_SERVER
        client = self.folder / "cli.py" if check.part in ("client", "both") else runner.REFERENCE_CLIENT
        return server, client


@dataclass
class CheckResult:
    target: Target
    check: Check
    status: str  # "passed", "failed" or "skipped"
    message: str = ""  # why it failed or was skipped, in one line
    outcome: runner.Outcome | None = field(default=None, repr=False)
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return self.check.points if self.status == "passed" else 0.0


@dataclass
class Grade:
    results: list[CheckResult]
    seconds: float

    @property
    def passed(self) -> bool:
        return all(result.status == "passed" for result in self.results)

    @property
    def score(self) -> float:
        return sum(result.score for result in self.results)

    @property
    def max_score(self) -> float:
        return sum(result.check.points for result in self.results)

    def by_target(self) -> dict[str, list[CheckResult]]:
        grouped: dict[str, list[CheckResult]] = {}
        for result in self.results:
            grouped.setdefault(result.target.label, []).append(result)
        return grouped


def step_targets(manifest: Manifest, numbers: list[int]) -> list[Target]:
    """Step N's folder, graded on the checks of steps 1 to N."""
    return [Target(f"step {n}", LESSONS / f"step{n}", tuple(manifest.checks_up_to(n))) for n in sorted(set(numbers))]


def folder_target(manifest: Manifest, folder: Path, up_to: int | None = None) -> Target:
    last = up_to or manifest.steps[-1].number
    return Target(folder.name or str(folder), folder, tuple(manifest.checks_up_to(last)))


def run_check(
    target: Target, check: Check, timeout: float | None = None, limits: containment.Limits | None = containment.LIMITS
) -> CheckResult:
    started = time.monotonic()
    server, client = target.programs(check)
    missing = [path.name for path in (server, client) if not path.is_file()]
    if missing:
        return CheckResult(target, check, "failed", f"there is no {' or '.join(missing)} in {target.folder}")
    try:
        with containment.confined(limits) as confinement:
            outcome = runner.run(check.load(), server=server, client=client, timeout=timeout)
    except Exception as error:  # a grader problem must not hide the other results
        return CheckResult(target, check, "failed", f"the grader could not run this check: {error!r}")
    seconds = time.monotonic() - started
    if confinement and confinement.breaches:
        _blame(outcome, confinement.breaches[0])
    if outcome.passed:
        return CheckResult(target, check, "passed", outcome=outcome, seconds=seconds)
    failure = outcome.failure
    assert failure is not None
    message = f"{failure.problem} [scenario step {failure.step}: {failure.step_text}]"
    return CheckResult(target, check, "failed", message, outcome, seconds)


def _blame(outcome: runner.Outcome, breach: containment.Breach) -> None:
    """A broken limit is the cause of whatever else went wrong, and fails a run that passed."""
    failure = outcome.failure
    if failure is None:
        last = max(len(outcome.step_seconds), 1)
        step_text = outcome.scenario.steps[last - 1].describe()
        outcome.failure = runner.Failure(last, step_text, breach.member, breach.text)
    else:
        outcome.failure = dataclasses.replace(failure, problem=f"{breach.text}; {failure.problem}")


def grade(
    targets: list[Target],
    workers: int | None = None,
    timeout: float | None = None,
    on_result: Callable[[CheckResult], None] | None = None,
    limits: containment.Limits | None = containment.LIMITS,
) -> Grade:
    """Run every target's checks, independent ones side by side, in the manifest's order.
    limits: what each program may use (None: run them uncontained, in place)."""
    started = time.monotonic()
    pending = [(target, check) for target in targets for check in target.checks]
    done: dict[tuple[str, str], CheckResult] = {}
    running: dict[Future, tuple[Target, Check]] = {}

    def finish(result: CheckResult) -> None:
        done[(result.target.label, result.check.name)] = result
        if on_result:
            on_result(result)

    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 2) as pool:
        while pending or running:
            for target, check in list(pending):
                needed = [done.get((target.label, need)) for need in check.needs]
                if None in needed:
                    continue  # a check it needs has not finished yet
                pending.remove((target, check))
                unmet = [result.check.name for result in needed if result and result.status != "passed"]
                if unmet:
                    finish(CheckResult(target, check, "skipped", f"needs {', '.join(unmet)}, which did not pass"))
                else:
                    running[pool.submit(run_check, target, check, timeout, limits)] = (target, check)
            if running:
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    del running[future]
                    finish(future.result())
    order = {(t.label, c.name): i for i, (t, c) in enumerate((t, c) for t in targets for c in t.checks)}
    results = sorted(done.values(), key=lambda r: order[(r.target.label, r.check.name)])
    return Grade(results, time.monotonic() - started)
