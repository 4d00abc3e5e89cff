"""Hostile submissions are contained: each is a failed check naming its cause, with nothing
left running and no file of the grader's or of the submission touched.

Each folder under tests/hostile/ holds a srv.py that starts as a server should and then
misbehaves; the reference's cli.py completes it. The limits here are low, so that each
test takes a second or two; conftest.py fails any test that leaves a process running.
"""

import hashlib
import os
import re
import resource
import shutil
import subprocess
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from harness.engine import runner
from harness.engine.room import Room
from harness.grader import grading
from harness.model.manifest import Check, load_manifest
from harness.system import containment
from harness.system.containment import MIB, Limits
from tests.helpers import ROOT, reference_submission

pytestmark = pytest.mark.usefixtures("fresh_runs")  # these tests are about how a run is made

HOSTILE = Path(__file__).resolve().parent / "hostile"
MANIFEST = load_manifest()
LISTEN = next(check for check in MANIFEST.checks_up_to(1) if check.name == "start")
LOW = Limits(cpu_seconds=1, memory_bytes=256 * MIB, file_bytes=1 * MIB, tasks=64, processes=8, output_bytes=1 * MIB)
MARK = "HOSTILE-WAS-HERE"

CAUSES = {
    "fork-loop": "(a fork loop?)",
    "prints-endlessly": "srv.py printed more than 1 MiB and was stopped",
    "memory-hog": "srv.py ran out of memory (MemoryError: the limit is 256 MiB)",
    "cpu-hog": "srv.py used more than 1 s of CPU time and was stopped (SIGXCPU)",
    "writes-outside": "srv.py tried to write a file larger than the limit, 1 MiB",
    "sleeps-forever": "server: line 1: expected 'Chat Server started on port ",
}


def submission(name: str, folder: Path) -> Path:
    """The hostile srv.py with the reference's cli.py beside it."""
    folder.mkdir(parents=True)
    shutil.copy(HOSTILE / name / "srv.py", folder)
    shutil.copy(runner.REFERENCE_CLIENT, folder)
    return folder


def fingerprint(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()
    }


def test_there_is_a_hostile_submission_for_each_cause():
    from tests.test_sandbox import ATTACKS  # those the sandbox stops

    assert {folder.name for folder in HOSTILE.iterdir() if folder.is_dir()} == set(CAUSES) | set(ATTACKS)


@pytest.mark.parametrize("name", sorted(CAUSES))
def test_a_hostile_submission_is_a_failed_check_that_names_its_cause(name, tmp_path):
    folder = submission(name, tmp_path / name)
    started = time.monotonic()
    # The others end by a limit, in a second or so (more on a busy machine: 1 s of CPU time
    # may take many of wall time); a fork loop's children hold its terminal open to the end.
    timeout = 1.0 if name in ("sleeps-forever", "fork-loop") else 30.0
    grade = grading.grade([grading.Target(name, folder, (LISTEN,))], timeout=timeout, limits=LOW)
    assert time.monotonic() - started < 2 * timeout + 5
    [result] = grade.results
    assert result.status == "failed"
    assert CAUSES[name] in result.message, result.message
    if name != "sleeps-forever":
        assert result.message.startswith("srv.py "), result.message  # the cause comes first
    # conftest.py checks that no process is left, even one that left the session (fork-loop)


def test_a_fork_loop_is_capped_while_it_runs_where_a_cgroup_or_rlimit_can(tmp_path):
    folder = submission("fork-loop", tmp_path / "fork-loop")
    grade = grading.grade([grading.Target("fork-loop", folder, (LISTEN,))], timeout=1.0, limits=LOW)
    box = containment.Box(containment.Confinement(LOW), "probe", "srv.py")
    box.release()
    message = grade.results[0].message
    if box.cgroup is not None:
        assert message.startswith("srv.py tried to run more than 64 processes and threads at once (a fork loop?)")
    elif box.nproc is not None:  # RLIMIT_NPROC refuses quietly; what ran is within the allowance
        running = re.search(r"running (\d+) other processes at the end", message)
        assert running and int(running[1]) <= LOW.tasks, message
    else:
        pytest.skip("root without a writable pids cgroup: nothing caps a fork loop while it runs")


def test_without_a_cgroup_a_fork_loop_s_processes_are_found_by_their_mark_and_killed(tmp_path, monkeypatch):
    """As where /sys/fs/cgroup is read-only: the children left the session, yet all are found."""
    monkeypatch.setattr(containment, "_pids_parent", containment._NO_CGROUP)
    folder = submission("fork-loop", tmp_path / "fork-loop")
    grade = grading.grade([grading.Target("fork-loop", folder, (LISTEN,))], timeout=1.0, limits=LOW)
    assert (
        "other processes at the end (a fork loop?)" in grade.results[0].message or "at once" in grade.results[0].message
    )
    # conftest.py: none of them is left


def test_writes_land_in_the_check_s_own_folder_never_in_the_grader_s_or_the_submission(tmp_path, monkeypatch):
    """A grader-like layout (harness/ beside the submission, as on Gradescope), decoys only:
    the real repository is checked for the mark as well."""
    grader = tmp_path / "grader"
    (grader / "harness").mkdir(parents=True)
    shutil.copy(ROOT / "harness" / "grader" / "grading.py", grader / "harness")
    folder = submission("writes-outside", grader / "submission")
    scratch = tmp_path / "scratch"  # where the check's temporary folder goes
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    before = fingerprint(grader)

    grade = grading.grade([grading.Target("writes-outside", folder, (LISTEN,))], timeout=1.0, limits=LOW)

    assert grade.results[0].status == "failed"
    assert fingerprint(grader) == before
    assert list(scratch.iterdir()) == []  # the check's folder, and all it wrote there, is gone
    assert not list(tmp_path.rglob(f"{MARK}.txt"))
    tracked = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True)
    for name in tracked.stdout.split():
        path = ROOT / name
        assert path.name != f"{MARK}.txt", name
        if path.is_file() and path.suffix == ".py":
            assert f"# {MARK}" not in path.read_text(errors="replace"), name


def with_needs(*names: str) -> tuple[Check, ...]:
    """The named checks and those they need, in the manifest's order."""
    every = {check.name: check for step in MANIFEST.steps for check in step.checks}
    wanted, todo = set(), list(names)
    while todo:
        name = todo.pop()
        wanted.add(name)
        todo += [need for need in every[name].needs if need not in wanted]
    return tuple(check for check in every.values() if check.name in wanted)


@pytest.mark.slow
def test_the_reference_passes_the_heaviest_checks_within_the_default_limits(tmp_path):
    """slow-reader's server prints 9 MB; stress has 200 users; full-room's server holds ~1100
    descriptors."""
    folder = reference_submission(tmp_path / "reference")
    checks = with_needs("slow-reader", "stress", "full-room")
    grade = grading.grade([grading.Target("reference", folder, checks)])
    wrong = [f"{r.check.name}: {r.message}" for r in grade.results if r.status != "passed"]
    assert not wrong
    assert {"slow-reader", "stress", "full-room"} <= {r.check.name for r in grade.results}


def test_a_contained_program_runs_a_copy_with_its_limits_in_a_folder_of_its_own(tmp_path):
    probe = tmp_path / "probe" / "srv.py"
    probe.parent.mkdir()
    probe.write_text(
        textwrap.dedent(
            """
            import os, resource
            from pathlib import Path
            kinds = ["CPU", "DATA", "STACK", "NOFILE", "FSIZE", "CORE"]
            print(*[resource.getrlimit(getattr(resource, "RLIMIT_" + kind))[0] for kind in kinds])
            print(os.getcwd())
            print(Path(__file__).resolve().parent)
            print(os.environ.get("CHAT_HARNESS_BOX", "unmarked"))
            """
        )
    )
    with containment.confined(LOW), Room(probe, runner.REFERENCE_CLIENT) as room:
        terminal = room.start_server("server", [])
        assert room.wait_until(lambda: terminal.eof, 10)
        workdir = room.workdir.path
    limits, cwd, folder, mark = terminal.lines()[:4]
    assert limits.split() == [str(n) for n in (1, 256 * MIB, LOW.stack_bytes, LOW.open_files, 1 * MIB, 0)]
    assert Path(cwd) == workdir / "cwd"
    assert Path(folder) == workdir / "probe"  # a copy, in a folder named as the original
    assert mark.startswith(f"{os.getpid()}-")
    assert not workdir.exists()


def test_without_confinement_a_program_runs_in_place_with_the_harness_s_limits(tmp_path):
    probe = tmp_path / "srv.py"
    probe.write_text("import os, resource\nprint(resource.getrlimit(resource.RLIMIT_CPU)[0], os.getcwd())\n")
    with Room(probe, runner.REFERENCE_CLIENT) as room:
        terminal = room.start_server("server", [])
        assert room.wait_until(lambda: terminal.eof, 10)
    assert terminal.lines()[0] == f"{resource.getrlimit(resource.RLIMIT_CPU)[0]} {os.getcwd()}"
