"""The one loop of a room (harness/engine/loop.py): it follows its members as they change, even
when one closes without telling it and a new one is given the same descriptor number."""

import socket
import time

import pytest

from harness.engine.loop import Loop
from harness.engine.robot import FakeServer, Robot
from harness.model.timeline import Timeline


@pytest.fixture
def listener():
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server


def pump_until(loop, condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the loop never got there"
        loop.pump(0.05)


def test_a_closed_wires_number_given_to_a_new_wire_is_watched_for_the_new_one(listener):
    loop, address = Loop(), listener.getsockname()
    first = Robot("first", address, None)
    loop.watch(first)
    number = first.fileno()
    first.close()  # the loop is not told: the next socket takes the same number
    second = Robot("second", address, None)
    assert second.fileno() == number
    loop.watch(second)
    listener.accept()[0].close()  # the first's
    with listener.accept()[0] as program_end:
        program_end.sendall(b"hello\nwor")
        pump_until(loop, lambda: second.partial == b"wor")
    assert second.received_lines == [b"hello"] and second.complete == 1
    pump_until(loop, lambda: second.eof)
    assert not loop.watching()  # an ended wire is watched no more
    loop.close()


def test_queued_bytes_are_all_written_and_then_the_wire_hangs_up_as_asked(listener):
    loop, timeline = Loop(), Timeline()
    robot = Robot("robot", listener.getsockname(), timeline)
    with listener.accept()[0] as program_end:
        robot.queue(b"x" * 100_000 + b"\n", then="close")
        loop.watch(robot)
        got = bytearray()
        program_end.settimeout(5)
        while len(got) < 100_001:
            loop.pump(0)
            got += program_end.recv(1 << 16)
        pump_until(loop, lambda: robot.eof)
        assert program_end.recv(1) == b""  # closed, once everything was sent
    assert not loop.watching()
    assert [event.kind for event in timeline.events] == ["action", "sent", "action"]  # connected, sent, closed
    loop.close()


def test_a_fake_server_is_watched_on_its_listener_then_on_the_client_it_took():
    loop, timeline = Loop(), Timeline()
    fake = FakeServer("server", "127.0.0.1", timeline)
    loop.watch(fake)
    listening = fake.fileno()
    with socket.create_connection(("127.0.0.1", fake.port)) as client:
        pump_until(loop, lambda: fake.connected)
        assert fake.fileno() != listening
        client.sendall(b"hi\n")
        pump_until(loop, lambda: fake.lines() == ["hi"])
    fake.close()
    loop.close()


def test_a_wire_whose_other_end_closed_its_side_still_writes_what_is_queued(listener):
    """The program may shut down its writing side and still read; a wire that stopped writing
    at the end of what it reads would leave its bytes unsent, and the room would look stalled."""
    loop = Loop()
    robot = Robot("robot", listener.getsockname(), None)
    loop.watch(robot)
    with listener.accept()[0] as program_end:
        program_end.shutdown(socket.SHUT_WR)
        pump_until(loop, lambda: robot.eof)
        robot.queue(b"still heard\n")
        loop.watch(robot)
        pump_until(loop, lambda: not robot.outgoing)
        program_end.settimeout(5)
        assert program_end.recv(100) == b"still heard\n"
    robot.close()
    loop.watch(robot)
    assert not loop.watching()
    loop.close()
