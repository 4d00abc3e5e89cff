"""`python -m harness.grade` as students and instructors run it."""

import json
import os
import select
import signal
import subprocess
import sys
import time

from harness.model import lesson_source
from harness.model.manifest import load_manifest
from tests.helpers import ROOT, grade, plain

MANIFEST = load_manifest()
LAST = MANIFEST.steps[-1].number
CHECKS = MANIFEST.checks_up_to(LAST)


def test_a_finished_submission_passes_and_writes_gradescope_json(tmp_path):
    folder = lesson_source.write_solution(tmp_path / "alice", LAST)
    result = grade("--path", folder, "--json", tmp_path / "out" / "results.json", "--junit", tmp_path / "junit.xml")
    assert result.returncode == 0, result.stdout
    assert "every check passed" in result.stdout
    data = json.loads((tmp_path / "out" / "results.json").read_text())
    assert data["score"] == data["extra_data"]["max_score"] == sum(check.points for check in CHECKS)
    assert {test["status"] for test in data["tests"]} == {"passed"}
    assert len(data["tests"]) == len(CHECKS) and data["tests"][0]["number"] == "1.1"
    assert (tmp_path / "junit.xml").read_text().count("<testcase ") == len(CHECKS)


def test_a_broken_submission_fails_and_its_json_says_where(tmp_path):
    folder = lesson_source.write_solution(tmp_path / "bob", LAST)
    server = folder / "srv.py"
    server.write_text(server.read_text().replace("self.broadcast(line, sender=client)", "self.broadcast(line)"))
    result = grade("--path", folder, "--json", tmp_path / "results.json", "--timeout", "1")
    assert result.returncode == 1
    assert "first failure" in result.stdout and "relay" in result.stdout
    data = json.loads((tmp_path / "results.json").read_text())
    failed = {test["name"]: test for test in data["tests"] if test["status"] == "failed"}
    assert "Step 4: relay" in failed
    assert "expected nothing more" in failed["Step 4: relay"]["output"]
    told = plain(failed["Step 4: relay"]["output"])
    assert "Mistake: this looks like echo-to-sender" in told and "Hint: " in told  # the mistake's own explanation
    assert data["score"] < data["extra_data"]["max_score"]


def test_status_shows_every_untouched_step_as_not_started_without_grading_it(tmp_path):
    for step in range(1, LAST + 1):
        lesson_source.write_skeleton(tmp_path / f"step{step}", step)
    started = time.monotonic()
    result = grade("--status", "--lessons", tmp_path, "--timeout", "1")
    assert result.returncode == 1
    assert result.stdout.count("not started") == LAST and "Next: step 1" in result.stdout
    assert time.monotonic() - started < 5  # nothing was graded


def test_the_overview_shows_where_the_student_is_and_only_the_next_failure(tmp_path):
    for step in range(1, LAST + 1):
        lesson_source.write_skeleton(tmp_path / f"step{step}", step)
    lesson_source.write_solution(tmp_path / "step1", 1)
    result = grade("--lessons", tmp_path, "--timeout", "1")
    assert result.returncode == 1
    rows = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()[:1].isdigit()}
    assert "done" in rows["1"] and all("not started" in rows[str(step)] for step in range(2, LAST + 1))
    assert result.stdout.count("first failure") == 1 and "step 2: first failure" in result.stdout
    assert "Total" not in result.stdout and "points" not in result.stdout  # no credit for the code a step is given


def test_bad_usage_is_one_clear_line_and_status_2(tmp_path):
    for args, message in [
        ([str(LAST + 1)], f"there is no step {LAST + 1}"),
        (["--path", tmp_path / "nowhere"], "--path: no such folder"),
        (["--watch"], "--watch grades one thing"),
        (["--path", tmp_path, "1", "2"], "at most one STEP"),
        (["--workers", "0"], "--workers takes a number"),
    ]:
        result = grade(*args)
        assert result.returncode == 2, args
        assert message in result.stderr and "Traceback" not in result.stderr


def test_watch_grades_again_when_a_file_changes(tmp_path):
    folder = lesson_source.write_solution(tmp_path / "carol", 1)
    env = {**os.environ, "COLUMNS": "160", "NO_COLOR": "1"}
    command = [sys.executable, "-m", "harness.grade", "--watch", "--path", str(folder), "1", "--timeout", "1"]
    watcher = subprocess.Popen(command, stdout=subprocess.PIPE, env=env, cwd=ROOT, stdin=subprocess.DEVNULL)
    try:
        assert "every check passed" in read_until(watcher, "watching")
        server = folder / "srv.py"
        server.write_text(server.read_text().replace("started on port", "running on port"))
        assert "some checks failed" in read_until(watcher, "watching")
        watcher.send_signal(signal.SIGINT)
        assert watcher.wait(timeout=10) == 0
    finally:
        watcher.kill()
        watcher.wait()
        watcher.stdout.close()


def read_until(process, marker, timeout=30):
    """What the process prints from now until marker (raw reads: a buffered readline() would
    hide lines from select())."""
    text, deadline = b"", time.monotonic() + timeout
    while marker.encode() not in text and time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], deadline - time.monotonic())
        chunk = os.read(process.stdout.fileno(), 65536) if ready else b""
        if not chunk:
            break
        text += chunk
    assert marker.encode() in text, f"{marker!r} never came; the grader printed:\n{text.decode()}"
    return text.decode()
