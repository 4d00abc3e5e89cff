"""The server fan-out benchmark: its smallest run passes and prints its table, and its check
catches what it is there to catch (a line lost, doubled, reordered, garbled, sent back)."""

import json
import subprocess
import sys

import pytest

from benchmarks import bench_server, fanout_check, fanout_load
from benchmarks.fanout_check import lines, verify
from tests.helpers import ROOT

SCRIPT = ROOT / "benchmarks" / "bench_server.py"
NAMES = [b"127.0.0.1:40001", b"127.0.0.1:40002", b"127.0.0.1:5003"]  # a 4-digit port too
STREAMS = [lines(0, 0, 5), lines(1, 0, 5), lines(2, 0, 5)]


def relayed(*pieces: tuple[int, bytes]) -> bytes:
    """What a receiver gets: "[IP:PORT] " before each piece, as a server relays it."""
    return b"".join(b"[" + NAMES[sender] + b"] " + data for sender, data in pieces)


def split_lines(sender: int) -> list[bytes]:
    return STREAMS[sender].splitlines(keepends=True)


def interleaved() -> list[tuple[int, bytes]]:
    one, two = split_lines(1), split_lines(2)
    return [piece for pair in zip(one, two, strict=True) for piece in ((1, pair[0]), (2, pair[1]))]


def test_the_smallest_quick_run_passes_and_prints_its_table(tmp_path):
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--sizes", "2", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Chat server fan-out" in done.stdout and "deliveries/s" in done.stdout
    assert done.stdout.count("nothing lost") == 3, done.stdout
    report = json.loads((tmp_path / "server.json").read_text())
    assert {row["server"] for row in report["results"]} == {"reference", "documented", "asyncio"}
    for row in report["results"]:
        assert not row["failed"] and not row["problems"], row
        assert row["throughput"] > 0 and row["p99_ms"] > 0, row
        assert row["runs"][0]["samples"] > 0, row
    assert (tmp_path / "server.svg").read_text().startswith("<svg")


def test_a_server_that_loses_lines_fails_the_run(tmp_path, monkeypatch, capsys):
    """Every 20th relayed line goes nowhere: the run must say so and end with status 1."""
    lossy = tmp_path / "lossy.py"
    lossy.write_text(
        "import asyncio, sys\n"
        f"sys.path.insert(0, {str(ROOT / 'benchmarks' / 'servers')!r})\n"
        "import asyncio_server\n"
        "relay, count = asyncio_server.Room.broadcast, [0]\n"
        "def broadcast(self, line, sender=None):\n"
        "    count[0] += line.startswith('[')\n"
        "    if count[0] % 20 or not line.startswith('['):\n"
        "        relay(self, line, sender)\n"
        "asyncio_server.Room.broadcast = broadcast\n"
        "try:\n"
        "    asyncio.run(asyncio_server.main(sys.argv[1], int(sys.argv[2])))\n"
        "except KeyboardInterrupt:\n"
        "    print('\\nexit')\n"
    )
    monkeypatch.setitem(bench_server.SERVERS, "lossy", lossy)
    monkeypatch.setattr(fanout_load, "STALL_SECONDS", 0.5)  # the drain gives up sooner; workers are forked
    status = bench_server.main(["--quick", "--sizes", "3", "--servers", "lossy", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert status == 1
    assert "FAIL" in out and "lost" in out, out


def test_a_server_that_does_not_start_is_a_failed_row_not_a_traceback(tmp_path, monkeypatch, capsys):
    broken = tmp_path / "broken.py"
    broken.write_text("import sys\nsys.exit('broken.py: cannot listen here')\n")
    monkeypatch.setitem(bench_server.SERVERS, "broken", broken)
    status = bench_server.main(["--quick", "--sizes", "2", "--servers", "broken", "--out", str(tmp_path)])
    captured = capsys.readouterr()
    assert status == 1
    assert "server exited with status 1: broken.py: cannot listen here" in captured.out
    assert "Traceback" not in captured.out + captured.err


def test_lines_from_every_other_sender_in_order_pass():
    assert verify(relayed(*interleaved()), 0, NAMES, STREAMS) == ""


def test_glued_and_split_chunks_of_the_documented_style_pass_when_nothing_is_lost():
    one, two = STREAMS[1], STREAMS[2]
    pieces = [(1, one[:100]), (2, two[: 64 * 3]), (1, one[100:130]), (2, two[64 * 3 :]), (1, one[130:])]
    counts: dict = {}
    assert verify(relayed(*pieces), 0, NAMES, STREAMS, counts=counts) == ""
    assert counts["pieces"] == 5  # for 10 lines: the table reports the other 5 as glued


@pytest.mark.parametrize(
    ("pieces", "problem"),
    [
        ([(1, STREAMS[1]), (2, b"".join(split_lines(2)[1:]))], "1 of 5 lines from 127.0.0.1:5003 lost"),
        ([(1, STREAMS[1]), (2, STREAMS[2]), (2, split_lines(2)[4])], "1 lines too many from 127.0.0.1:5003"),
        ([(1, b"".join(split_lines(1)[::-1])), (2, STREAMS[2])], "lines from 127.0.0.1:40002 reordered or garbled"),
        ([(1, STREAMS[1]), (2, STREAMS[2]), (0, split_lines(0)[0])], "received 1 of its own lines back"),
        ([(1, STREAMS[1].replace(b"x", b"y", 1)), (2, STREAMS[2])], "reordered or garbled"),
    ],
    ids=["lost", "doubled", "reordered", "own line", "garbled"],
)
def test_what_went_wrong_is_named(pieces, problem):
    assert problem in verify(relayed(*pieces), 0, NAMES, STREAMS)


def test_a_notice_in_the_stream_is_not_a_relayed_line():
    assert "not a relayed line" in verify(b"< The user 127.0.0.1:40002 left\n", 0, NAMES, STREAMS)
    assert verify(relayed(*interleaved()) + b"< The user 127.0.0.1:40002 left (2 users online)\n", 0, NAMES, STREAMS)


def test_latencies_are_measured_from_the_stamp_in_each_line():
    data = relayed((1, fanout_check.LINE % (1, 0, 1_000)), (2, fanout_check.LINE % (2, 0, 2_000)))
    first = len(relayed((1, fanout_check.LINE % (1, 0, 1_000))))
    assert fanout_check.latencies(data, [(first - 5, 1_200), (first, 1_500), (len(data), 2_700)]) == [500, 700]


def test_a_batch_from_the_template_is_lines_in_the_agreed_format():
    batch = fanout_check.batch(fanout_check.template(7, 128), 42, 3)
    assert batch == b"".join(fanout_check.LINE % (7, 42_000 + seq, 0) for seq in range(3))
    replayed = fanout_check.replay(7, [2, 1])
    assert replayed == b"".join(fanout_check.LINE % (7, seq, 0) for seq in (0, 1, 1_000))


def test_a_bytearray_is_checked_like_bytes():
    """The workers check their receive buffers in place, without a copy."""
    assert verify(bytearray(relayed(*interleaved())), 0, NAMES, STREAMS) == ""
    assert "lost" in verify(bytearray(relayed((1, STREAMS[1]))), 0, NAMES, STREAMS)
