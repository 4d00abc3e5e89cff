"""The grader: untouched skeletons fail cleanly, solutions pass, hostile code is a failed check."""

import os
import re
import signal
import time

import pytest

from harness.engine.room import SPIN_VERDICT
from harness.grader import grading
from harness.model import lesson_source
from harness.model.manifest import load_manifest

MANIFEST = load_manifest()
STEPS = [step.number for step in MANIFEST.steps]
TIMED_OUT = re.compile(r"after \d+(\.\d+)? s\b")  # "(still so after 3 s)", "after 20 s of waiting for ..."


def solved_folders(tmp_path):
    return [
        grading.Target(
            f"step {n}", lesson_source.write_solution(tmp_path / f"step{n}", n), tuple(MANIFEST.checks_up_to(n))
        )
        for n in STEPS
    ]


def test_every_step_passes_with_its_solution_filled_in(tmp_path):
    grade = grading.grade(solved_folders(tmp_path))
    failed = [(r.target.label, r.check.name, r.message) for r in grade.results if r.status != "passed"]
    assert not failed
    assert grade.score == grade.max_score == sum(c.points for n in STEPS for c in MANIFEST.checks_up_to(n))


def test_every_untouched_step_fails_its_own_checks_and_only_those_without_waiting_out_a_timeout(tmp_path):
    """Each failure is a verdict: the room fell quiet and wrong, a program spun without a word,
    stopped reading, froze, or ended. None of them waits for a timeout to say so."""
    for step in STEPS:  # as the kit gives them: the kit's own step folders are the student's
        lesson_source.write_skeleton(tmp_path / f"step{step}", step)
    started = time.monotonic()
    grade = grading.grade(grading.step_targets(MANIFEST, STEPS, tmp_path))
    assert time.monotonic() - started < 60
    timed_out = [(r.target.label, r.check.name, r.message) for r in grade.results if TIMED_OUT.search(r.message)]
    assert not timed_out
    said = {(r.target.label, r.check.name): r.message for r in grade.results}
    # step 5's server selects a closed connection again and again; step 8's blocks in sendall().
    assert f"its program ran flat out for {SPIN_VERDICT:g} s, printing and sending nothing" in said[("step 5", "leave")]
    assert "still wait while every program waits: it stopped reading" in said[("step 9", "slow-reader")]
    for label, results in grade.by_target().items():
        number = int(label.split()[1])
        earlier = [r for r in results if r.check.step < number]
        own = [r for r in results if r.check.step == number]
        assert all(r.status == "passed" for r in earlier), (label, [r.message for r in earlier])
        assert any(r.status == "failed" for r in own), label
        first = next(r for r in own if r.status == "failed")
        assert first.message and first.outcome is not None


HOSTILE = {
    "syntax-error": ("def broken(:\n", "SyntaxError"),
    "exits-at-once": ("pass\n", "has no line 1"),
    "traceback": ("raise RuntimeError('the student crashed')\n", "Traceback"),
    "hangs": ("import time\ntime.sleep(60)\n", "still so after"),
    "prints-endlessly": ("while True:\n    print('spam ' * 20)\n", "spam"),
    "never-listens": (
        "import time\nprint('Chat Server started on port 9.', flush=True)\ntime.sleep(60)\n",
        "'9.' where",
    ),
}


def test_hostile_servers_are_failed_checks_with_nothing_left_running(tmp_path):
    targets = []
    for name, (source, _) in HOSTILE.items():
        folder = tmp_path / name
        folder.mkdir()
        (folder / "srv.py").write_text(source)
        (folder / "cli.py").write_text(lesson_source.program(lesson_source.sources()["cli.py"], 99, solved=True))
        targets.append(grading.folder_target(MANIFEST, folder, up_to=2))
    started = time.monotonic()
    grade = grading.grade(targets, timeout=1.0)
    assert time.monotonic() - started < 30
    for label, results in grade.by_target().items():
        first = results[0]
        assert first.status == "failed", label
        assert HOSTILE[label][1] in first.message + "\n".join(first.outcome.screens["server"]), (label, first.message)
        assert all(r.status == "skipped" for r in results[1:] if r.check.needs), label


def test_a_folder_without_the_programs_is_a_failed_check_not_a_crash(tmp_path):
    grade = grading.grade([grading.folder_target(MANIFEST, tmp_path, up_to=1)])
    assert grade.results[0].status == "failed"
    assert "there is no srv.py" in grade.results[0].message


@pytest.mark.parametrize("step", [0, 99])
def test_a_step_that_does_not_exist_is_refused(step):
    with pytest.raises(Exception, match=f"there is no step {step}"):
        MANIFEST.step(step)


def test_a_worker_killed_from_outside_fails_its_check_and_the_others_go_on(tmp_path, monkeypatch):
    """Checks run in worker processes (forked, so this replacement reaches them): one killed
    as the out-of-memory killer would kill it costs its own check, not the grade."""
    real = grading.run_check

    def killed_in_usage(target, check, *args):
        if check.name == "usage":
            os.kill(os.getpid(), signal.SIGKILL)
        return real(target, check, *args)

    monkeypatch.setattr(grading, "run_check", killed_in_usage)
    folder = lesson_source.write_solution(tmp_path / "step1", 1)
    grade = grading.grade([grading.folder_target(MANIFEST, folder, up_to=1)], workers=1)
    status = {r.check.name: (r.status, r.message) for r in grade.results}
    assert status["usage"] == ("failed", "a worker process of the grader was killed while this check ran; grade again")
    assert {name for name, (state, _) in status.items() if state == "passed"} == set(status) - {"usage"}
