"""Grading: run the manifest's checks on a folder of srv.py and cli.py, in parallel.

A check judges one part. For a "server" check the folder's srv.py runs with the grader's
client; for a "client" check the grader's server runs with the folder's cli.py; "both" runs
the folder's two programs together. So a bug is pinned on the part that has it. The
grader's programs are partners that behave as the reference does and speak both the
documented protocol and the kit's (harness/partners/): a program written as the
documentation shows meets each kit rule in the check of its own. A check is skipped only
when a check it needs found that the program cannot run at all (CheckResult.cannot_run).

Every check runs its programs contained (harness/containment.py): limits on CPU time,
memory, files, processes and output, in a temporary folder of their own. A limit a program
broke fails the check, named as its cause.
"""

import dataclasses
import functools
import os
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from harness import containment, explain, runner
from harness.manifest import LESSONS, Check, Manifest


@dataclass(frozen=True)
class Target:
    """A folder to grade on some checks: a lesson step's folder, or a student's submission."""

    label: str
    folder: Path
    checks: tuple[Check, ...]

    def programs(self, check: Check) -> tuple[Path, Path]:
        """The student's part, and the grader's partner for the rest (see runner.PARTNERS)."""
        server = self.folder / "srv.py" if check.part in ("server", "both") else runner.PARTNER_SERVER
        client = self.folder / "cli.py" if check.part in ("client", "both") else runner.PARTNER_CLIENT
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

    @property
    def cannot_run(self) -> bool:
        """Whether this check found the program unable to run at all: it ended as it started,
        nothing could connect to it, a file is missing, or it was itself skipped for that.
        Only then are the checks that need it skipped; any other failure is theirs to see."""
        if self.status == "skipped":
            return True
        if self.status != "failed":
            return False
        return self.outcome is None or (self.outcome.failure is not None and self.outcome.failure.halted)


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


def step_targets(manifest: Manifest, numbers: list[int], lessons: Path = LESSONS) -> list[Target]:
    """Step N's folder (lessons/stepN), graded on the checks of steps 1 to N."""
    return [Target(f"step {n}", lessons / f"step{n}", tuple(manifest.checks_up_to(n))) for n in sorted(set(numbers))]


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
    failure = _as_the_student_knows_it(outcome, target.folder)
    problem = failure.problem
    broke_a_limit = bool(confinement and confinement.breaches)  # then that is the cause, named first
    crashed = None if broke_a_limit else explain.crash(outcome.screens.get(failure.member, []))
    if crashed:
        program = {"server": "srv.py", "client": "cli.py"}.get(outcome.scenario.members().get(failure.member, ""), "")
        problem = f"{program or failure.member} crashed: {crashed}. {problem}"
        outcome.failure = dataclasses.replace(failure, problem=problem)
    message = f"{problem} [scenario step {failure.step}: {failure.step_text}]"
    return CheckResult(target, check, "failed", message, outcome, seconds)


def _as_the_student_knows_it(outcome: runner.Outcome, folder: Path) -> runner.Failure:
    """The failure and screens with the check's copies of programs named as their originals."""
    known = functools.partial(explain.as_the_student_knows_it, folder=folder)
    outcome.screens = {name: [known(line) for line in lines] for name, lines in outcome.screens.items()}
    failure = outcome.failure
    assert failure is not None
    mismatch = failure.mismatch
    if mismatch is not None and mismatch.seen is not None:
        mismatch = dataclasses.replace(mismatch, seen=known(mismatch.seen))
    outcome.failure = dataclasses.replace(failure, problem=known(failure.problem), mismatch=mismatch)
    return outcome.failure


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

    crowds = {check.scenario for _, check in pending if check.load().crowd is not None}
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 2) as pool:
        while pending or running:
            for target, check in list(pending):
                needed = [done.get((target.label, need)) for need in check.needs]
                if None in needed:
                    continue  # a check it needs has not finished yet
                if check.scenario in crowds and any(c.scenario in crowds for _, c in running.values()):
                    continue  # crowds (hundreds of users, a thread each in some servers) take turns
                pending.remove((target, check))
                stopped = next((result for result in needed if result and result.cannot_run), None)
                if stopped:
                    why = f"{stopped.check.name} found that the program cannot run. {stopped.message}"
                    finish(CheckResult(target, check, "skipped", why))
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
