"""The harness ends everything it starts, keeps reading every terminal, and fails with a message."""

import sys
import textwrap

import pytest

from harness.engine import runner
from harness.engine.room import Room, ending
from harness.engine.screen import RENDER_LIMIT
from harness.engine.terminal import Terminal
from harness.model.outcome import Ending
from harness.model.scenario import from_table
from harness.model.timeline import Timeline
from harness.system import procs


def program(tmp_path, name, source):
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return path


def test_the_leftover_guard_sees_a_running_program():
    terminal = Terminal("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"], Timeline(), rows=5, cols=40)
    try:
        assert terminal.pid in procs.leftovers()
    finally:
        terminal.kill()
    assert terminal.pid not in procs.leftovers()
    assert ending(terminal).describe() == "was still running at the end"


def test_a_room_ends_its_programs_and_their_children_when_a_check_raises(tmp_path):
    forker = program(
        tmp_path,
        "srv.py",
        """
        import os, sys, time
        if os.fork() == 0:
            os.setpgid(0, 0)  # leaves the process group, not the session
            time.sleep(60)
        print("Chat Server started on port 4242.", flush=True)
        time.sleep(60)
        """,
    )
    with pytest.raises(RuntimeError), Room(forker, runner.REFERENCE_CLIENT) as room:
        server = room.start_server("server")
        assert room.wait_until(lambda: server.lines() == ["Chat Server started on port 4242."], 5)
        assert len(procs.session_members(server.pid)) == 2
        raise RuntimeError("a check failed")
    assert procs.session_members(server.pid) == []


LINE_BYTES = 72  # "line 0001 " and 60 x's, and "\r\n"


@pytest.mark.parametrize(
    ("lines", "drawn"), [(RENDER_LIMIT // LINE_BYTES - 10, True), (RENDER_LIMIT // LINE_BYTES * 4, False)]
)
def test_a_program_that_prints_a_lot_is_read_while_waiting(tmp_path, lines, drawn):
    """A pty nobody reads blocks its writer after ~18 KB; the room keeps reading, and draws
    up to its render limit (past it, a note says how much more there was)."""
    chatty = program(
        tmp_path, "srv.py", f"for n in range({lines}):\n    print(f'line {{n:04}} ' + 'x' * 60)\nprint('done')\n"
    )
    with Room(chatty, runner.REFERENCE_CLIENT, rows=lines + 10) as room:
        server = room.start_server("server")
        assert room.wait_until(lambda: server.eof, 20)
        shown = server.lines()
    if drawn:
        assert shown[-1] == "done" and len(shown) == lines + 1
    else:
        assert shown[-1].endswith("more bytes of output, not drawn]")


def test_a_wait_that_times_out_says_what_was_expected_and_what_was_seen(tmp_path):
    mute = program(
        tmp_path,
        "srv.py",
        """
        import socket, sys, time
        listener = socket.create_server(("127.0.0.1", int(sys.argv[2])))  # accepts, then says nothing
        print(f"Chat Server started on port {listener.getsockname()[1]}.", flush=True)
        time.sleep(60)
        """,
    )
    story = from_table(
        {
            "step": [
                {"start": "server", "expect": {"server": ["Chat Server started on port {port}."]}},
                {"join": "alice", "expect": {"alice": ["> Connected to the chat server (1 user online)"]}},
            ]
        }
    )
    outcome = runner.run(story, server=mute, timeout=0.5)
    assert outcome.failure.step == 2 and outcome.failure.member == "alice"
    assert outcome.failure.problem == (
        "alice: line 1: expected '> Connected to the chat server (1 user online)', "
        "but the screen has no line 1 (still so after 0.5 s)"
    )
    assert outcome.screens["server"] == [f"Chat Server started on port {outcome.values['port']}."]


def test_a_program_that_crashes_fails_at_once_with_its_traceback(tmp_path):
    crash = program(tmp_path, "srv.py", "raise SystemExit(1/0)\n")
    story = from_table({"step": [{"start": "server", "expect": {"server": ["Chat Server started on port {port}."]}}]})
    outcome = runner.run(story, server=crash, timeout=30)
    assert outcome.seconds < 5  # the screen cannot change any more: no need to wait 30 s
    assert "line 1: expected 'Chat Server started on port " in outcome.failure.problem
    assert ".', seen 'Traceback" in outcome.failure.problem
    assert outcome.endings["server"] == Ending(status=1)
    assert outcome.endings["server"].describe() == "exited with status 1"


def test_waiting_is_seen_on_x86_64_and_arm64_and_said_to_be_unseen_elsewhere(monkeypatch, capsys):
    """The system calls a waiting program sits in have other numbers on arm64 (a Linux
    container on an Apple-silicon laptop); elsewhere the grader says it cannot see waiting."""
    import platform

    tables = procs.SYSCALL_NUMBERS
    assert set(tables["x86_64"]) >= procs.WAITING | procs.PEER
    assert set(tables["aarch64"]) >= (procs.WAITING | procs.PEER) - {"poll", "select", "epoll_wait"}
    for machine, read in (("x86_64", 0), ("aarch64", 63), ("riscv128", None)):
        procs._numbers.cache_clear()
        monkeypatch.setattr(platform, "machine", lambda machine=machine: machine)
        numbers = procs._numbers(frozenset({"read"}))
        assert numbers == ({read} if read is not None else set())
    assert "this processor (riscv128) has no table of system calls" in capsys.readouterr().err
    procs._numbers.cache_clear()
