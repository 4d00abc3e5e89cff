"""Failures said so that a student can act on them: where the lines differ, a crash as a
crash in the student's own file, the catalogued mistake it looks like, and a quick verdict."""

import textwrap

import pytest

from harness.engine import runner
from harness.grader import catalogue, explain, grading
from harness.grader.grading import CheckResult, Grade, Target
from harness.model import scenario
from harness.model.expect import difference
from harness.model.manifest import load_manifest
from harness.model.outcome import Crash, Status
from harness.outputs import grade_report

MANIFEST = load_manifest()
START = next(check for check in MANIFEST.checks_up_to(1) if check.name == "start")


@pytest.mark.parametrize(
    ("expected", "seen", "said"),
    [
        ("Chat Server started on port 5.", "Chat Server started on port 5", "missing '.' at the end"),
        ("> New user a entered (1 user online)", "> New user a entered (1 users online)", "'users' where 'user'"),
        ("[You] hi", "[You]hi", "missing ' ' after '[You]'"),
        ("^C", "^Cexit", "'exit' too many at the end"),
        ("< The user a left (0 user online)", "< The user a left (1 user online)", "'(1' where '(0' was expected"),
        ("[127.0.0.1:5] hello", "hello", "missing '[127.0.0.1:5] ' at the start"),
        ("abc", "xyz", ""),
    ],
)
def test_the_difference_is_said_as_a_person_would_say_it(expected, seen, said):
    assert difference(expected, seen).startswith(said) if said else difference(expected, seen) == ""


def test_a_crash_is_its_exception_and_the_students_line():
    traceback = ["Traceback (most recent call last):", '  File "lessons/step1/srv.py", line 32, in <module>']
    crash = explain.crash([*traceback, "    int(x)", "ValueError: bad"], "srv.py")
    assert crash == Crash("srv.py", "ValueError: bad", "lessons/step1/srv.py", 32)
    assert crash.describe() == "srv.py crashed: ValueError: bad (lessons/step1/srv.py, line 32)"
    syntax = ['  File "srv.py", line 12', "    def broken(:", "               ^", "SyntaxError: invalid syntax"]
    assert explain.crash(syntax, "srv.py").describe() == "srv.py crashed: SyntaxError: invalid syntax (srv.py, line 12)"
    assert explain.crash(["Chat Server started on port 5."], "srv.py") is None


def submission(tmp_path, source):
    folder = tmp_path / "my-chat"
    folder.mkdir()
    (folder / "srv.py").write_text(textwrap.dedent(source))
    return folder


def test_a_graded_crash_names_the_exception_and_the_students_own_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = submission(tmp_path, "import sys\nport = int(sys.argv[2])\nraise ValueError('my bug')\n")
    result = grading.run_check(Target("me", folder, (START,)), START)
    assert result.message.startswith("srv.py crashed: ValueError: my bug (my-chat/srv.py, line 3). server: line 1")
    screen = "\n".join(result.outcome.screens["server"])
    assert 'File "my-chat/srv.py", line 3' in screen and explain.containment.WORKDIR_PREFIX not in screen
    labels = dict(grade_report.advice(result))
    assert labels["replay"].endswith(
        f"run_scenario.py start-stop --server my-chat/srv.py --client {runner.PARTNER_CLIENT}"
    )


def test_a_room_that_is_quiet_and_wrong_fails_at_once_not_at_its_timeout(tmp_path):
    wrong = submission(
        tmp_path,
        """
        import socket, sys
        listener = socket.create_server(("127.0.0.1", int(sys.argv[2])))
        print("Chat Server running on port", sys.argv[2], flush=True)
        listener.accept()  # waits for input, as a quiet server does
        """,
    )
    outcome = runner.run(scenario.load("start-stop"), server=wrong / "srv.py", timeout=20)
    assert outcome.failure is not None and "nothing more was on its way" in outcome.failure.problem
    assert outcome.seconds < 5  # not 20: the room was quiet and wrong


def test_a_skipped_check_says_why_in_the_table():
    checks = MANIFEST.checks_up_to(1)
    target = Target("me", explain.Path("me"), tuple(checks))
    reason = "start found that the program cannot run. there is no srv.py in me"
    grade = Grade([CheckResult(target, check, Status.SKIPPED, reason, blocked_by="start") for check in checks], 0.0)
    console = grade_report.Console(record=True, width=200, color_system=None)
    console.print(grade_report.results_table(grade))
    assert "skipped: start found it cannot run" in console.export_text()


def test_a_known_mistake_is_recognised_by_what_the_recorded_run_told():
    (no_period,) = [c for c in catalogue.load_coverage() if c.mutant == "no-period"]
    said = no_period.told.replace("port P.", "port 40123.").replace("port P'", "port 40123'")
    assert [m.name for m in catalogue.recognise("start", said)] == ["no-period"]
    assert catalogue.recognise("relay", said) == ()


def test_a_program_on_its_way_out_after_closing_its_terminal_is_waited_for_not_failed(tmp_path):
    """Its terminal has closed and its exit status is not known yet, as when a busy machine
    preempts a program between the two: the room is not quiet until the program has ended."""
    slow_to_end = submission(
        tmp_path,
        """
        import os, sys, time
        print("usage: srv.py HOST PORT", file=sys.stderr, flush=True)
        for fd in (0, 1, 2):
            os.close(fd)
        end = time.monotonic() + 0.3
        while time.monotonic() < end:  # busy, as a process is on its way out
            pass
        sys.exit(2)
        """,
    )
    usage = {"step": [{"start": "server", "args": [], "expect": {"server": ["{*}"]}, "exit": {"server": 2}}]}
    outcome = runner.run(scenario.from_table(usage, "usage"), server=slow_to_end / "srv.py", timeout=5)
    assert outcome.failure is None, outcome.failure.said()
