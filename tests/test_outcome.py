"""A failure is data, and its sentence is rendered from that data (no programs run)."""

import signal

from harness.model.expect import Mismatch
from harness.model.outcome import Crash, Ending, Failure, Wait

LINE = Mismatch(2, "> New user a entered (1 user online)", "> New user a entered (1 users online)")


def test_an_ending_says_how_a_program_ended():
    assert Ending(status=1).describe() == "exited with status 1"
    assert Ending(signal=signal.SIGINT).describe().startswith("was killed by SIGINT (an uncaught KeyboardInterrupt")
    assert Ending(signal=signal.SIGKILL).describe() == "was killed by SIGKILL"
    assert Ending(running=True).describe() == "is still running"
    assert Ending(by_harness=True, signal=signal.SIGKILL).describe() == "was still running at the end"
    assert Ending(stopped=True, signal=signal.SIGKILL).describe() == "was stopped by the grader"


def test_a_line_that_differs_is_said_from_its_fields():
    failure = Failure(2, "join alice", "server", mismatch=LINE, waited=Wait(1.0, quiet=True))
    assert failure.problem == (
        "server: line 2: expected '> New user a entered (1 user online)', seen '> New user a entered (1 users online)'"
        ": 'users' where 'user' was expected (and every program waited for input: nothing more was on its way)"
    )
    assert failure.said() == failure.problem + " [scenario step 2: join alice]"
    timed_out = Failure(2, "join alice", "server", mismatch=LINE, waited=Wait(1.5))
    assert timed_out.problem.endswith("was expected (still so after 1.5 s)")
    spun = Failure(2, "join alice", "server", mismatch=LINE, waited=Wait(0.2, spinning="alice"))
    assert spun.problem.endswith(" (alice: its program ran flat out for 0.2 s, printing and sending nothing: a loop "
                                 "that never waits? select() reports a socket as readable again and again until the "
                                 "program reads it, or closes it once the other end has closed)")  # fmt: skip


def test_how_a_program_ended_is_said_where_it_explains_the_failure():
    ended = Failure(1, "start server", "server", mismatch=Mismatch(2, None, "Traceback"), ending=Ending(status=1))
    assert ended.problem.endswith("shows 'Traceback' (server's program exited with status 1)")
    exit_status = Failure(9, "ctrl-c bob", "bob", expected_exit=0, ending=Ending(signal=signal.SIGKILL))
    assert exit_status.problem == "bob: should have ended with exit status 0, but it was killed by SIGKILL"
    crowd = Failure(3, "talk", "user4", "user4: expected the welcome", ending=Ending(status=1), ended="server")
    assert crowd.problem == "user4: expected the welcome (the server exited with status 1)"


def test_a_robots_unfinished_line_a_crash_and_a_broken_limit_are_said_first_or_after():
    robot = Failure(4, "say hi", "fake", mismatch=Mismatch(1, "hi", None), unfinished="hi")
    assert robot.problem.endswith("no line 1; it received 'hi' with no line end after it: the kit's protocol ends "
                                  "each message with \\n")  # fmt: skip
    crash = Crash("srv.py", "ValueError: bad", "my/srv.py", 3)
    crashed = Failure(1, "start server", "server", mismatch=LINE, crash=crash)
    assert crashed.problem.startswith("srv.py crashed: ValueError: bad (my/srv.py, line 3). server: line 2: ")
    limit = "srv.py printed more than 32 MiB and was stopped"
    assert Failure(1, "start server", "server", limit=limit).problem == limit
    assert Failure(1, "s", "server", "it said no", limit=limit).problem == f"{limit}; it said no"


def test_a_failure_found_before_its_step_is_placed_there():
    found = Failure(0, "", "alice", "could not join alice")
    placed = found.at(2, "join alice", halted=True)
    assert placed == Failure(2, "join alice", "alice", "could not join alice", halted=True)
