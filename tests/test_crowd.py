"""Crowds on the reference and on servers that get them wrong: the select() ceiling, the
open-files limit, and a server that blocks in send()."""

from harness.engine import runner
from harness.engine.room import Room
from harness.model import lesson_source, scenario
from harness.model.kit import ROOT


def test_at_the_select_ceiling_the_server_serves_those_it_can_and_refuses_the_rest():
    full_room = scenario.load("full-room")
    outcome = runner.run(full_room)
    assert outcome.passed, outcome.failure.problem
    served, refused = int(outcome.values["served"]), int(outcome.values["refused"])
    assert served + refused == full_room.crowd.users
    # select() watches descriptors 0 to 1023. The server starts with 0 to 959 open; the
    # listener and the spare descriptor take two of what is left.
    assert served == 1024 - full_room.crowd.taken - 2 and refused > 0


def test_a_server_started_with_descriptors_taken_numbers_its_sockets_from_there(tmp_path):
    """What full-room relies on: descriptors below `taken` are open in the program."""
    lowest = tmp_path / "srv.py"
    lowest.write_text("import os\nprint(*(os.open(os.devnull, os.O_RDONLY) for _ in range(2)))\n")
    room = Room(lowest, runner.REFERENCE_CLIENT)
    with room:
        server = room.start_server("server", [], taken=500)
        assert room.wait_until(lambda: server.eof, 5)
        first, second = map(int, server.lines()[0].split())
    assert (first, second) == (500, 501)  # none free below


def test_at_the_open_files_limit_the_server_refuses_instead_of_spinning(tmp_path):
    limited = tmp_path / "srv.py"
    limited.write_text(
        "import os, resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (100, 100))\n"
        f"os.execv(sys.executable, [sys.executable, {str(runner.REFERENCE_SERVER)!r}, *sys.argv[1:]])\n"
    )
    crowd = {"users": 300, "messages": 4, "talkers": 4, "may_refuse": True}
    outcome = runner.run(scenario.from_table({"name": "limit", "crowd": crowd}), server=limited)
    assert outcome.passed, outcome.failure.problem
    served = int(outcome.values["served"])
    assert 90 <= served < 100 and int(outcome.values["refused"]) == 300 - served
    refusals = [line for line in outcome.timeline.raw("server").decode().splitlines() if "Refused" in line]
    assert len(refusals) == 300 - served
    assert refusals[0].endswith(f": the room is full ({served} users online)")


def test_a_server_that_blocks_in_send_freezes_the_room_and_fails(tmp_path):
    """Step 8's finished server sends with sendall(): while a few users do not read, the
    others stop hearing anything. The crowd judge says so, rather than passing it slowly."""
    blocking = lesson_source.write_solution(tmp_path / "step8", 8) / "srv.py"
    crowd = {"users": 40, "messages": 60, "laggers": 2}
    outcome = runner.run(scenario.from_table({"name": "freeze", "timeout": 3.0, "crowd": crowd}), server=blocking)
    assert not outcome.passed
    assert outcome.failure.step == 3
    assert "while 2 users did not read, but the room froze" in outcome.failure.problem
    # ... and the same crowd passes on the reference.
    good = runner.run(scenario.from_table({"name": "freeze", "timeout": 3.0, "crowd": crowd}))
    assert good.passed, good.failure.problem


def test_a_slow_server_that_keeps_delivering_is_not_failed_by_the_timeout(tmp_path):
    """A thread per user and a sendall() per line, as students write it: correct, and slow on
    a busy machine. While lines keep arriving, the crowd's timeout starts again."""
    batching = (ROOT / "tests" / "variants" / "threads-server" / "srv.py").read_text()
    one_at_a_time = batching.replace(
        "                batch.append(member.mailbox.get_nowait())", "                break"
    )
    assert one_at_a_time != batching
    (tmp_path / "srv.py").write_text(one_at_a_time)
    crowd = {"users": 60, "messages": 10, "talkers": 60}
    outcome = runner.run(
        scenario.from_table({"name": "slow", "timeout": 0.3, "crowd": crowd}), server=tmp_path / "srv.py"
    )
    assert outcome.passed, outcome.failure.problem
    assert outcome.step_seconds[2] > 0.3  # the talk took longer than one timeout
