"""A program starts as a person's shell starts it (harness/system/spawn.py): in a session of
its own whose controlling terminal is its pty, of the size asked, with Ctrl-C delivered as a
terminal delivers it, whatever the grader's own SIGINT; and Ctrl-C pressed as it starts
leaves nothing running (conftest.py checks)."""

import os
import select
import signal
import sys
import time

import pytest

from harness.engine.terminal import Terminal
from harness.model.timeline import Timeline
from harness.system import spawn

PROBE = """
import os, signal, termios
print(os.getpid(), os.getsid(0) == os.getpid(), os.tcgetpgrp(0) == os.getpid(), os.get_terminal_size(0))
print(signal.getsignal(signal.SIGINT) is signal.default_int_handler, signal.pthread_sigmask(signal.SIG_BLOCK, []))
print(bool(termios.tcgetattr(0)[3] & termios.NOFLSH), sorted(map(int, os.listdir("/proc/self/fd")))[-2])
"""


def run(taken: int) -> tuple[int, list[str]]:
    """The probe's PID as the harness knows it, and what it printed."""
    terminal = Terminal("probe", [sys.executable, "-c", PROBE], Timeline(), rows=30, cols=100, taken=taken)
    deadline = time.monotonic() + 10
    try:
        while not terminal.eof and time.monotonic() < deadline:
            if select.select([terminal], [], [], 0.1)[0]:
                terminal.read_available()
    finally:
        terminal.kill()
    return terminal.pid, terminal.lines()


@pytest.mark.parametrize("grader", ["default", "ignores and blocks SIGINT"])
def test_a_program_starts_in_a_session_and_terminal_of_its_own_with_ctrl_c_as_a_terminal_gives_it(grader):
    """A background shell job ignores SIGINT; a program it starts must not."""
    previous = signal.getsignal(signal.SIGINT)
    mask = signal.pthread_sigmask(signal.SIG_SETMASK, set())
    if grader != "default":
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        pid, lines = run(taken=40)
        assert signal.getsignal(signal.SIGINT) == (previous if grader == "default" else signal.SIG_IGN)
    finally:
        signal.signal(signal.SIGINT, previous)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    assert lines[:3] == [
        f"{pid} True True os.terminal_size(columns=100, lines=30)",  # no program on the way forked
        "True set()",
        "True 39",  # descriptors 0 to 39 open (the last one listed is the listing's own)
    ]


def test_ctrl_c_as_a_program_starts_ends_it_and_is_delivered_once_it_is_known(monkeypatch):
    started = spawn.start

    def pressed_meanwhile(*args, **kwargs):
        process = started(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGINT)
        return process

    monkeypatch.setattr(spawn, "start", pressed_meanwhile)
    with pytest.raises(KeyboardInterrupt):
        Terminal("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"], Timeline(), rows=5, cols=40)
    # conftest.py: the sleeper is not left running
