"""A user who never reads cannot freeze the room: the others keep talking, every line
reaches those who read, and the stalled user is dropped once its backlog passes the bound,
not before."""

import contextlib
import re
from collections.abc import Iterator

from harness.engine import runner
from harness.engine.room import Room
from harness.system.tcpinfo import connections, hex_address
from tests.helpers import load_program

MAX_OUTBOX = load_program(runner.REFERENCE_SERVER).MAX_OUTBOX
LINE = b"x" * 999 + b"\n"
FLOOD = 9000  # 9 MB: more than the kernel holds for the stalled user, plus the bound


@contextlib.contextmanager
def reference_room() -> Iterator[Room]:
    """A room with the reference server started on a free port, which the room then knows."""
    with Room(runner.REFERENCE_SERVER, runner.REFERENCE_CLIENT) as room:
        server = room.start_server("server", ["127.0.0.1", "0"])
        assert room.wait_until(lambda: server.lines() and server.lines()[0].startswith("Chat Server"), 5)
        room.port = int(re.search(r"port (\d+)\.", server.lines()[0])[1])
        yield room


def address(wire) -> str:
    return f"{wire.address[0]}:{wire.address[1]}"


def test_the_room_goes_on_and_the_stalled_user_is_dropped_past_the_bound():
    with reference_room() as room:
        stuck = room.connect_robot("stuck", reads=False)
        talker = room.connect_robot("talker")
        listener = room.connect_robot("listener")
        assert room.wait_until(lambda: listener.received.count(b"\n") == 1, 5)
        talker.queue(LINE * FLOOD)
        relayed = f"[{address(talker)}] ".encode() + LINE
        everything = len(relayed) * FLOOD
        assert room.wait_until(lambda: len(listener.received) >= everything, 30), "the room froze"

        heard = listener.lines()
        left = f"< The user {address(stuck)} left (2 users online)"
        assert heard.count(left) == 1, "the user who never reads was not dropped, once"
        assert heard[1:].count(relayed[:-1].decode()) == FLOOD, "the listener did not get every line once"
        # What the server had relayed before it dropped stuck: what stuck's kernel still
        # holds unread, plus what the server's kernel held, plus the outbox past the bound.
        before_drop = (heard.index(left) - 1) * len(relayed)
        rows = {(local, remote): unread for local, remote, _, unread in connections()}
        held_by_stuck = rows[(hex_address(stuck.address), hex_address(stuck.peer))]
        assert before_drop > held_by_stuck + MAX_OUTBOX, "dropped before its backlog passed the bound"


def test_a_user_who_reads_slowly_is_not_dropped():
    """A backlog under the bound is only a backlog: the user stays, and later gets it all."""
    with reference_room() as room:
        slow = room.connect_robot("slow", reads=False)
        talker = room.connect_robot("talker")
        talker.queue(LINE * 500)  # 0.5 MB
        assert room.wait_until(lambda: not talker.outgoing, 10)
        assert room.wait_until_read(talker, 10)
        witness = room.connect_robot("witness")
        assert room.wait_until(lambda: b"\n" in witness.received, 5)
        assert witness.lines()[0] == "> Connected to the chat server (3 users online)"
        slow.reads = True  # it wakes up and reads everything it missed, in order
        relayed = f"[{address(talker)}] {LINE[:-1].decode()}"
        assert room.wait_until(lambda: slow.received.count(b"\n") >= 503, 10)
        assert slow.lines()[2:502] == [relayed] * 500
