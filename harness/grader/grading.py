"""Grading: run the manifest's checks on a folder of srv.py and cli.py, in parallel.

A check judges one part. For a "server" check the folder's srv.py runs with the grader's
client; for a "client" check the grader's server runs with the folder's cli.py; "both" runs
the folder's two programs together. So a bug is pinned on the part that has it. The
grader's programs are partners that behave as the reference does and speak both the
documented protocol and the kit's (harness/partners/): a program written as the
documentation shows meets each kit rule in the check of its own. A check is skipped only
when a check it needs found that the program cannot run at all (CheckResult.cannot_run).

Every check runs its programs contained (harness/system/containment.py): limits on CPU time,
memory, files, processes and output, in a temporary folder of their own. A limit a program
broke fails the check, named as its cause.
"""

import contextlib
import dataclasses
import functools
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from harness.engine import runner
from harness.grader import explain, shared_runs
from harness.model.manifest import LESSONS, Check, Manifest
from harness.model.outcome import Failure, Status
from harness.model.scenario import Scenario
from harness.system import containment, procs, sandbox


@dataclass(frozen=True)
class Target:
    """A folder to grade on some checks: a lesson step's folder, or a student's submission."""

    label: str
    folder: Path
    checks: tuple[Check, ...]

    def programs(self, check: Check) -> tuple[Path, Path]:
        """The student's part, and the grader's partner for the rest (harness/partners/)."""
        server = self.folder / "srv.py" if check.part in ("server", "both") else runner.PARTNER_SERVER
        client = self.folder / "cli.py" if check.part in ("client", "both") else runner.PARTNER_CLIENT
        return server, client


@dataclass
class CheckResult:
    target: Target
    check: Check
    status: Status
    message: str = ""  # why it failed or was skipped, in one line (a failed run's: its Failure.said())
    outcome: runner.Outcome | None = field(default=None, repr=False)
    seconds: float = 0.0
    blocked_by: str = ""  # a skipped check's: the check it needs that found the program cannot run

    def __post_init__(self) -> None:
        self.status = Status(self.status)  # "passed" given as text is Status.PASSED all the same

    @property
    def score(self) -> float:
        return self.check.points if self.status is Status.PASSED else 0.0

    @property
    def failure(self) -> Failure | None:
        """What its run found wrong, as data; None for a check that passed or never ran."""
        return self.outcome.failure if self.outcome else None

    @property
    def cannot_run(self) -> bool:
        """Whether this check found the program unable to run at all: it ended as it started,
        nothing could connect to it, a file is missing, or it was itself skipped for that.
        Only then are the checks that need it skipped; any other failure is theirs to see."""
        if self.status is Status.SKIPPED:
            return True
        if self.status is not Status.FAILED:
            return False
        return self.failure is None or self.failure.halted


@dataclass
class Grade:
    results: list[CheckResult]
    seconds: float

    @property
    def passed(self) -> bool:
        return all(result.status is Status.PASSED for result in self.results)

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


def folder_target(manifest: Manifest, folder: Path, up_to: int | None = None, label: str = "") -> Target:
    last = up_to or manifest.steps[-1].number
    return Target(label or folder.name or str(folder), folder, tuple(manifest.checks_up_to(last)))


def run_check(
    target: Target, check: Check, timeout: float | None = None, limits: containment.Limits | None = containment.LIMITS
) -> CheckResult:
    started = time.monotonic()
    server, client = target.programs(check)
    missing = [path.name for path in (server, client) if not path.is_file()]
    if missing:
        return CheckResult(target, check, Status.FAILED, f"there is no {' or '.join(missing)} in {target.folder}")
    try:
        outcome, breaches = _graded_run(check, server, client, timeout, limits)
    except Exception as error:  # a grader problem must not hide the other results
        return CheckResult(target, check, Status.FAILED, f"the grader could not run this check: {error!r}")
    seconds = time.monotonic() - started
    if breaches:
        _blame(outcome, breaches[0])
    if outcome.passed:
        return CheckResult(target, check, Status.PASSED, outcome=outcome, seconds=seconds)
    failure = _as_the_student_knows_it(outcome, target.folder)
    broke_a_limit = bool(breaches)  # then that is the cause, named first
    if not broke_a_limit:
        program = {"server": "srv.py", "client": "cli.py"}.get(outcome.scenario.members().get(failure.member, ""), "")
        crash = explain.crash(outcome.screens.get(failure.member, []), program or failure.member)
        outcome.failure = failure = dataclasses.replace(failure, crash=crash)
    return CheckResult(target, check, Status.FAILED, failure.said(), outcome, seconds)


def _graded_run(
    check: Check, server: Path, client: Path, timeout: float | None, limits: containment.Limits | None
) -> tuple[runner.Outcome, list[containment.Breach]]:
    """The check's scenario run on these programs, and the limits they broke (in a test
    session, a run of the same programs on the same check is read back: shared_runs)."""
    scenario = check.load()
    key = shared_runs.key(scenario, timeout, limits, sandbox.active(), programs=(server, client))
    kept = shared_runs.recall(key)
    if isinstance(kept, tuple):
        return kept
    with containment.confined(limits) as confinement:
        outcome = runner.run(scenario, server=server, client=client, timeout=timeout)
    run = (outcome, list(confinement.breaches) if confinement else [])
    shared_runs.keep(key, run)
    return run


def _as_the_student_knows_it(outcome: runner.Outcome, folder: Path) -> Failure:
    """The failure and screens with the check's copies of programs named as their originals."""
    known = functools.partial(explain.as_the_student_knows_it, folder=folder)
    outcome.screens = {name: [known(line) for line in lines] for name, lines in outcome.screens.items()}
    failure = outcome.failure
    assert failure is not None
    mismatch = failure.mismatch
    if mismatch is not None and mismatch.seen is not None:
        mismatch = dataclasses.replace(mismatch, seen=known(mismatch.seen))
    outcome.failure = dataclasses.replace(
        failure, what=known(failure.what), mismatch=mismatch, unfinished=known(failure.unfinished)
    )
    return outcome.failure


def _blame(outcome: runner.Outcome, breach: containment.Breach) -> None:
    """A broken limit is the cause of whatever else went wrong, and fails a run that passed."""
    failure = outcome.failure
    if failure is None:
        last = max(len(outcome.step_seconds), 1)
        step_text = outcome.scenario.steps[last - 1].describe()
        outcome.failure = Failure(last, step_text, breach.member, limit=breach.text)
    else:
        outcome.failure = dataclasses.replace(failure, limit=breach.text)


def grade(
    targets: list[Target],
    workers: int | None = None,
    timeout: float | None = None,
    on_result: Callable[[CheckResult], None] | None = None,
    limits: containment.Limits | None = containment.LIMITS,
) -> Grade:
    """Run every target's checks, side by side, and give the results in the manifest's order.
    limits: what each program may use (None: run them uncontained, in place).

    The first checks (those that need none and that others need: "start", which finds a
    program that cannot run at all) start first, then the heaviest. A light check waits for
    the first checks it needs; any other needed check it does not wait for. A check is skipped
    before it starts if a check it needs already found that the program cannot run, and its
    result is replaced by that skip if one finds it later (then it failed at once too).
    on_result hears each result once the results of the checks it needs are final."""
    started = time.monotonic()
    order = [(target, check) for target in targets for check in target.checks]
    scenarios = {check: check.load() for _, check in order}  # each file read once, not at every turn
    crowds = {check for check, scenario in scenarios.items() if scenario.crowd is not None}
    weight = {check: _weight(scenario) for check, scenario in scenarios.items()}
    needed_by_others = {need for _, check in order for need in check.needs}
    firsts = {check.name for _, check in order if check.name in needed_by_others and not check.needs}  # "start"
    pending = sorted(order, key=lambda pair: (pair[1].name not in firsts, -weight[pair[1]]))
    raw: dict[tuple[str, str], CheckResult] = {}  # as each check ended
    final: dict[tuple[str, str], CheckResult] = {}  # ... once the checks it needs are final
    running: dict[Future, tuple[Target, Check]] = {}
    slots = workers or os.cpu_count() or 2

    def finalise() -> None:
        for target, check in order:
            key = (target.label, check.name)
            needed = [final.get((target.label, need)) for need in check.needs]
            if key in final or key not in raw or None in needed:
                continue
            stopped = next((result for result in needed if result and result.cannot_run), None)
            result = raw[key]
            if stopped:
                why = f"{stopped.check.name} found that the program cannot run. {stopped.message}"
                result = CheckResult(target, check, Status.SKIPPED, why, blocked_by=stopped.check.name)
            final[key] = result
            if on_result:
                on_result(result)

    procs.bare_python(), sandbox.python()  # made once, here, for every worker
    pool, broken = _workers(slots), False
    try:
        while pending or running:
            if broken and not running:
                pool.shutdown(wait=True)
                pool, broken = _workers(slots), False
            for target, check in list(pending):
                if len(running) >= slots or broken:
                    break
                if check in crowds and any(c in crowds for _, c in running.values()):
                    continue  # crowds (hundreds of users, a thread each in some servers) take turns
                needed = {need: final.get((target.label, need)) for need in check.needs}
                if weight[check] < HEAVY and any(needed[need] is None for need in check.needs if need in firsts):
                    continue  # a light check waits for the first checks, which find a program that cannot run
                pending.remove((target, check))
                if any(result and result.cannot_run for result in needed.values()):
                    raw[(target.label, check.name)] = CheckResult(target, check, Status.SKIPPED)  # finalise says why
                else:
                    running[pool.submit(_run_in_worker, target, check, timeout, limits)] = (target, check)
            finalise()
            if running:
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    target, check = running.pop(future)
                    try:
                        raw[(target.label, check.name)] = future.result()
                    except BrokenProcessPool:  # a worker was killed from outside (out of memory?)
                        why = "a worker process of the grader was killed while this check ran; grade again"
                        raw[(target.label, check.name)] = CheckResult(target, check, Status.FAILED, why)
                        broken = True  # its other checks fail the same way; then a new pool
    except KeyboardInterrupt:  # pressed in a terminal, it reached the workers too; sent to us alone, pass it on
        for worker in multiprocessing.active_children():
            assert worker.pid is not None  # an active child has started
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker.pid, signal.SIGINT)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # each worker has ended its own rooms' programs
    finalise()
    results = [final[(target.label, check.name)] for target, check in order]
    return Grade(results, time.monotonic() - started)


def _workers(slots: int) -> ProcessPoolExecutor:
    """Processes, not threads: the harness's own work (reading hundreds of sockets, drawing
    screens) would wait for one interpreter lock, and two checks would take as long as the
    two one after the other. Forked, so that they start at once, with everything set as it is
    here (a test's changes too)."""
    context = multiprocessing.get_context("fork")
    return ProcessPoolExecutor(max_workers=slots, mp_context=context, initializer=_worker_starts)


_checking = False  # in a worker: whether a check runs now
_interrupted = False  # ... and whether Ctrl-C was pressed: then it starts no more checks


def _worker_starts() -> None:
    """Ctrl-C ends the check a worker runs (its room ends its programs on the way out); a
    worker waiting for its next check starts none after it (one may be queued for it already),
    and goes when the grader shuts it down."""

    def interrupt(signum: int, frame: object) -> None:
        global _interrupted
        _interrupted = True
        if _checking:
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    try:
        sandbox.enter_worker()
    except sandbox.SandboxError as error:  # the checks still run, as users of their own
        print(f"grade: warning: no network of their own for the checks ({error})", file=sys.stderr)


def _run_in_worker(
    target: Target, check: Check, timeout: float | None, limits: containment.Limits | None
) -> CheckResult:
    global _checking
    if _interrupted:
        raise KeyboardInterrupt
    _checking = True
    try:
        return run_check(target, check, timeout, limits)
    finally:
        _checking = False


HEAVY = 100  # a check of this _weight or more starts before the checks it needs have ended


def _weight(scenario: Scenario) -> float:
    """How long a check may take, roughly, to start the long ones first: a crowd most; then
    by the steps its scenario acts, and the kilobytes it sends."""
    if scenario.crowd is not None:
        return 1e6 + scenario.crowd.users * scenario.crowd.messages
    return sum(1 + len(step.data) / 1024 for step in scenario.steps)
