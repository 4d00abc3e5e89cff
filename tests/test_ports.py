"""The ports the grader gives servers: free, its own, and (for reuse-address) lingering."""

import socket

from harness.system import ports
from harness.system.tcpinfo import lingers


def test_a_free_port_is_free_new_each_time_and_outside_the_range_of_outgoing_connections():
    low = int(ports.EPHEMERAL.read_text().split()[0])
    picked = [ports.free_port() for _ in range(50)]
    assert len(set(picked)) == len(picked)
    assert all(ports.LOWEST <= port < low for port in picked)
    with socket.socket() as server:
        server.bind((ports.HOST, picked[0]))  # no SO_REUSEADDR: nothing lingers there either


def test_a_lingering_port_refuses_a_bind_without_so_reuseaddr_and_takes_one_with_it():
    port = ports.lingering_port()
    assert lingers(port)
    with socket.socket() as late:
        try:
            late.bind((ports.HOST, port))
            raise AssertionError("bind() without SO_REUSEADDR should have been refused")
        except OSError as error:
            assert "in use" in str(error)
    with socket.socket() as early:
        early.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        early.bind((ports.HOST, port))
        early.listen()


def test_the_ports_a_process_listens_on_are_found_from_its_descriptors():
    import os

    with socket.create_server((ports.HOST, 0)) as listener:
        assert listener.getsockname()[1] in ports.listening_ports(os.getpid())
