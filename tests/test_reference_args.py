"""The reference programs refuse bad command lines with one line on stderr, never a traceback.

Usage errors (wrong argument count, a port that is not a number in range) exit with
status 2; a command line that is well formed but cannot be acted on (unknown host, port
in use, nobody listening) exits with status 1. Either way stdout stays empty and stderr
holds exactly one line naming the problem and giving the usage.
"""

import contextlib
import os
import re
import select
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from harness.engine.runner import REFERENCE_CLIENT, REFERENCE_SERVER

SERVER_USAGE = "usage: python3 srv.py HOST PORT"
CLIENT_USAGE = "usage: python3 cli.py HOST PORT"
LOCALHOST = "127.0.0.1"
UNKNOWN_HOST = "no-such-host.invalid"  # RFC 2606: .invalid never resolves
# "a..b" fails in the IDNA encoder before any lookup; "\udcff" is the byte 0xff in argv.

PORT = object()  # stands for the port a case's setup provides


@dataclass(frozen=True)
class Case:
    args: tuple  # strings, or PORT
    status: int
    problem: str  # a fragment of stderr that names what is wrong
    port: str | None = None  # "listening": a socket listens on it; "closed": nothing does


SERVER_CASES = [
    pytest.param(Case((), 2, "expected 2 arguments, HOST and PORT, got 0"), id="no-args"),
    pytest.param(Case((LOCALHOST,), 2, "expected 2 arguments, HOST and PORT, got 1"), id="one-arg"),
    pytest.param(Case((LOCALHOST, "0", "x"), 2, "expected 2 arguments, HOST and PORT, got 3"), id="three-args"),
    pytest.param(Case((LOCALHOST, "abc"), 2, "PORT must be a number from 0 to 65535, not 'abc'"), id="port-abc"),
    pytest.param(Case((LOCALHOST, "-1"), 2, "PORT must be a number from 0 to 65535, not '-1'"), id="port-negative"),
    pytest.param(Case((LOCALHOST, "65536"), 2, "PORT must be a number from 0 to 65535, not '65536'"), id="port-65536"),
    pytest.param(Case((LOCALHOST, ""), 2, "PORT must be a number from 0 to 65535, not ''"), id="port-empty"),
    pytest.param(
        Case((LOCALHOST, "١٢"), 2, "PORT must be a number from 0 to 65535, not '١٢'"),
        id="port-arabic-indic-digits",
    ),
    pytest.param(Case((UNKNOWN_HOST, "0"), 1, f"unknown host '{UNKNOWN_HOST}'"), id="unknown-host"),
    pytest.param(Case((LOCALHOST, PORT), 1, "Address already in use", port="listening"), id="port-in-use"),
    pytest.param(Case(("a..b", "0"), 1, "unknown host 'a..b'"), id="host-empty-label"),
    pytest.param(Case(("\udcff", "0"), 2, "HOST must be a host name or an IP address"), id="host-not-utf8"),
]

CLIENT_CASES = [
    pytest.param(Case((), 2, "expected 2 arguments, HOST and PORT, got 0"), id="no-args"),
    pytest.param(Case((LOCALHOST, "1", "x"), 2, "expected 2 arguments, HOST and PORT, got 3"), id="extra-args"),
    pytest.param(Case((LOCALHOST, "abc"), 2, "PORT must be a number from 1 to 65535, not 'abc'"), id="port-abc"),
    pytest.param(Case((LOCALHOST, "0"), 2, "PORT must be a number from 1 to 65535, not '0'"), id="port-0"),
    pytest.param(Case((LOCALHOST, "65536"), 2, "PORT must be a number from 1 to 65535, not '65536'"), id="port-65536"),
    pytest.param(Case((UNKNOWN_HOST, "1"), 1, f"unknown host '{UNKNOWN_HOST}'"), id="unknown-host"),
    pytest.param(Case((LOCALHOST, PORT), 1, "Connection refused", port="closed"), id="connection-refused"),
    pytest.param(Case(("a..b", "1"), 1, "unknown host 'a..b'"), id="host-empty-label"),
    pytest.param(Case(("\udcff", "1"), 2, "HOST must be a host name or an IP address"), id="host-not-utf8"),
]


@contextlib.contextmanager
def port_for(kind: str | None) -> Iterator[int | None]:
    """A port on 127.0.0.1 that is busy ("listening") or free ("closed"), or None."""
    if kind is None:
        yield None
        return
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((LOCALHOST, 0))
        port = sock.getsockname()[1]
        if kind == "listening":
            sock.listen(1)
        else:
            sock.close()  # nothing listens there now: connecting is refused
        yield port
    finally:
        sock.close()


def run(path, args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, path, *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},  # the non-ASCII port reads back the same
        timeout=10,
        stdin=subprocess.DEVNULL,
    )


def check_refusal(path, usage: str, case: Case) -> None:
    with port_for(case.port) as port:
        args = [str(port) if arg is PORT else arg for arg in case.args]
        result = run(path, args)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stderr.endswith("\n") and result.stderr.count("\n") == 1, f"not one line: {result.stderr!r}"
    assert usage in result.stderr
    assert case.problem in result.stderr
    if port is not None:
        assert f"{LOCALHOST}:{port}" in result.stderr
    assert result.returncode == case.status, result.stderr


@pytest.mark.parametrize("case", SERVER_CASES)
def test_server_refuses(case: Case) -> None:
    check_refusal(REFERENCE_SERVER, SERVER_USAGE, case)


@pytest.mark.parametrize("case", CLIENT_CASES)
def test_client_refuses(case: Case) -> None:
    check_refusal(REFERENCE_CLIENT, CLIENT_USAGE, case)


def test_server_on_port_0_listens_on_the_free_port_it_prints() -> None:
    # -u: with stdout a pipe, the banner would otherwise sit in Python's buffer.
    proc = subprocess.Popen(
        [sys.executable, "-u", REFERENCE_SERVER, LOCALHOST, "0"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 5)
        assert ready, "the server printed nothing within 5 s"
        banner = proc.stdout.readline()
        match = re.fullmatch(r"Chat Server started on port (\d+)\.\n", banner)
        assert match, f"unexpected first line: {banner!r}"
        port = int(match.group(1))
        assert 0 < port <= 65535
        with socket.create_connection((LOCALHOST, port), timeout=5):
            pass
    finally:
        proc.kill()
        proc.wait(timeout=5)
        proc.stdout.close()
