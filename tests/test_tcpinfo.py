"""What the kernel says of the room's connections (harness/system/tcpinfo.py): in_flight, the
last look before a room is called quiet, counts what is on its way and nothing that waits on
a reader or on an acknowledgement. Its verdicts on a slow network are in test_slow_network.py."""

import fcntl
import socket
import time

import pytest

from harness.system import tcpinfo
from harness.system.tcpinfo import ESTABLISHED, SYN_RECV, Row, Sending

SIOCOUTQNSD = 0x894B  # linux/sockios.h: bytes written to a socket and not yet sent


def end(state: str = ESTABLISHED, sent: int = 0, retransmits: int = 0, info: Sending | None = None) -> Row:
    return Row("0100007F:C000", "0100007F:1AF4", state, sent, 0, 1, retransmits, info)


def sending(acked: int = 0, received: int = 0, unsent: int | None = 0, window: int | None = 65536) -> Sending:
    return Sending(mss=1448, acked=acked, received=received, unsent=unsent, window=window)


@pytest.mark.parametrize(
    ("held", "sends_by_itself"),
    [
        (sending(unsent=500), True),  # room for it at the reader
        (sending(unsent=5000, window=2000), True),  # a segment fits
        (sending(unsent=5000, window=0), False),  # the reader is full
        (sending(unsent=5000, window=1000), False),  # less than a segment: it waits for more room
        (sending(unsent=500, window=None), False),  # an older kernel: not known
        (sending(unsent=0), False),  # nothing held
    ],
)
def test_bytes_held_are_sent_by_the_kernel_itself_only_where_the_reader_has_room(held, sends_by_itself):
    assert held.holds_sendable() is sends_by_itself


def test_bytes_sent_are_on_their_way_until_they_arrive_not_until_they_are_acknowledged():
    # The client (it connected: its SYN is acknowledged too) wrote 5 bytes, and they left.
    client = end(sent=5, info=sending(acked=1, unsent=0))
    assert tcpinfo._on_its_way(client, end(info=sending(received=0)), connected=True)
    assert not tcpinfo._on_its_way(client, end(info=sending(received=5)), connected=True)  # arrived, ACK delayed
    server = end(sent=3, info=sending(acked=0, unsent=0))
    assert tcpinfo._on_its_way(server, end(info=sending(received=2)), connected=False)
    assert not tcpinfo._on_its_way(server, end(info=sending(received=3)), connected=False)


def test_a_handshake_is_on_its_way_until_it_has_to_be_sent_again():
    assert tcpinfo._on_its_way(end(SYN_RECV, retransmits=0), None, connected=False)
    assert not tcpinfo._on_its_way(end(SYN_RECV, retransmits=1), None, connected=False)  # lost: nothing waits on it


def test_an_end_whose_other_end_is_gone_has_a_reset_on_its_way():
    assert tcpinfo._on_its_way(end(info=sending()), None, connected=True)
    assert not tcpinfo._on_its_way(end("08", info=sending()), None, connected=True)  # CLOSE_WAIT: told already


def settles(port: int) -> None:
    """Until in_flight says 0: at once on an idle loopback, where nothing waits on a softirq."""
    deadline = time.monotonic() + 5
    while tcpinfo.in_flight(port):
        assert time.monotonic() < deadline, "in flight for 5 s on an idle loopback"
        time.sleep(0.001)


def test_on_a_real_connection_nothing_is_on_its_way_once_bytes_and_a_fin_have_arrived():
    """The kernel's counts line up: a FIN counts, a SYN only in `acked`, and an ACK the reader
    delays (40 ms on Linux) keeps nothing in flight."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)) as client, server.accept()[0] as program_end:
            settles(port)
            client.sendall(b"hello")
            assert program_end.recv(10) == b"hello"
            assert tcpinfo.in_flight(port) == 0  # arrived: whether acknowledged yet or not
            program_end.sendall(b"hi\n")
            assert client.recv(10) == b"hi\n"
            assert tcpinfo.in_flight(port) == 0
            client.shutdown(socket.SHUT_WR)
            assert program_end.recv(10) == b""
            assert tcpinfo.in_flight(port) == 0  # though its ACK may not have left yet


def test_a_connection_waiting_to_be_accepted_is_not_on_its_way():
    """It waits on the program; a listener's tcp_info counts such connections where a
    connection's counts packets out."""
    with socket.create_server(("127.0.0.1", 0)) as server, socket.create_connection(server.getsockname()):
        port = server.getsockname()[1]
        settles(port)
        (listening,) = [r for r in tcpinfo._table(sending=True) if r.local.endswith(f":{port:04X}") and r.state == "0A"]
        assert listening.received == 1  # one connection waits to be accepted


def test_a_sender_held_by_a_full_window_has_nothing_on_its_way_and_its_fields_are_read_right():
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)) as sender, server.accept()[0]:
            sender.setblocking(False)
            with pytest.raises(BlockingIOError):
                while True:  # until the reader (accepted, and never read) is full
                    sender.send(b"x" * 65536)
            settles(port)
            (row,) = [r for r in tcpinfo._table(sending=True) if r.local == tcpinfo.hex_address(sender.getsockname())]
            assert row.info is not None
            assert row.info.mss == sender.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG)
            unsent = int.from_bytes(fcntl.ioctl(sender, SIOCOUTQNSD, bytes(4)), "little")
            assert row.info.unsent == unsent > 0  # held, for want of room at the reader
            assert row.info.window is not None and row.info.window < min(unsent, row.info.mss)
