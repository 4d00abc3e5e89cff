"""`python harness/run_scenario.py` as a person runs it: exit status 0 pass, 1 fail, 2 bad usage."""

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from harness.engine import runner
from harness.model import scenario

SCRIPT = Path(__file__).resolve().parent.parent / "harness" / "run_scenario.py"


def run_script(*args, columns=320):
    env = {**os.environ, "COLUMNS": str(columns), "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, SCRIPT, *args], capture_output=True, text=True, timeout=60, env=env, stdin=subprocess.DEVNULL
    )


def test_default_runs_the_seed_and_shows_three_terminals_side_by_side():
    result = run_script()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS seed: 14 steps" in result.stdout
    header = next(line for line in result.stdout.splitlines() if "server" in line and "╭" in line)
    assert "alice" in header and "bob" in header  # one row of three panels
    assert "✗" not in result.stdout


def test_narrow_terminal_stacks_the_screens():
    result = run_script(columns=100)
    assert result.returncode == 0
    headers = [line for line in result.stdout.splitlines() if "╭" in line]
    assert len(headers) == 3


def test_a_broken_server_fails_with_expected_seen_and_timeline(tmp_path):
    broken = tmp_path / "srv.py"
    broken.write_text(runner.REFERENCE_SERVER.read_text().replace("started on port", "running on port"))
    result = run_script("--server", str(broken), "--timeout", "1")
    assert result.returncode == 1
    out = result.stdout
    assert "FAIL seed at step 1 of 14" in out
    assert "expected   'Chat Server started on port " in out
    assert "seen       'Chat Server running on port" in out
    assert "raw bytes  b'Chat Server running on port" in out
    assert "Timeline (ms since start)" in out and "⇠ printed" in out


def test_a_failing_line_is_never_shown_as_passing(tmp_path):
    """A join announced with a wrong port: the line the failure names is marked ✗ on the
    server's screen, as the judge found it, not ✓ by a second judgement of its own."""
    wrong_port = tmp_path / "srv.py"
    source = runner.REFERENCE_SERVER.read_text()
    join = 'print(f"> New user {client.name} entered {online}")'
    assert join in source
    wrong_port.write_text(source.replace(join, join.replace("{client.name}", "{client.name}1")))
    result = run_script("--server", str(wrong_port))
    assert result.returncode == 1
    assert "server: line 2: expected '> New user 127.0.0.1:" in result.stdout
    joins = [line for line in result.stdout.splitlines() if "> New user" in line and "│" in line]
    marks = [line.split("│")[1].strip()[:1] for line in joins]
    assert marks[0] == "✗", "\n".join(joins)
    assert "✓" not in marks


def test_list_shows_every_scenario():
    result = run_script("--list")
    assert result.returncode == 0
    for name in scenario.available():
        assert name in result.stdout


def test_clients_runs_a_generated_room():
    result = run_script("--clients", "3")
    assert result.returncode == 0, result.stdout
    assert "PASS crowd-3" in result.stdout


def test_bad_usage_exits_2_with_one_clear_line():
    for args, message in [
        (["nope"], "no scenario named 'nope'"),
        (["--server", "/no/such/srv.py"], "--server: no such file"),
        (["seed", "--clients", "3"], "not both"),
        (["--clients", "0"], "--clients takes a number from 1 to 100"),
        (["--timeout", "-1"], "--timeout takes a positive number"),
    ]:
        result = run_script(*args)
        assert result.returncode == 2, args
        assert message in result.stderr
        assert "Traceback" not in result.stderr


def test_svg_saves_the_report_as_a_picture_with_every_screen(tmp_path):
    picture = tmp_path / "pictures" / "seed.svg"
    result = run_script("--svg", str(picture), columns=80)  # a narrow terminal: the picture is still side by side
    assert result.returncode == 0, result.stdout + result.stderr
    svg = picture.read_text()
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    rows: dict[str, str] = {}
    for y, text in re.findall(r'<text [^>]*\by="([0-9.]+)"[^>]*>([^<]*)</text>', svg):
        rows[y] = rows.get(y, "") + html.unescape(text).replace("\xa0", " ")
    shown = list(rows.values())
    header = next(row for row in shown if "╭" in row)
    assert "server" in header and "alice" in header and "bob" in header
    for line in ("Chat Server started on port", "[You] Hi this is user 1", "< The user 127.0.0.1:", "PASS seed"):
        assert any(line in row for row in shown), line


@pytest.mark.parametrize("columns", [80, 60])
def test_every_line_of_every_screen_shows_in_a_narrow_terminal(columns):
    """Stacked panels grow with the lines that wrap: the last lines (^C, exit) stay."""
    result = run_script(columns=columns)
    assert result.returncode == 0, result.stdout
    assert result.stdout.count("✓ ^C") == 3 and result.stdout.count("✓ exit") == 3
    assert max(len(line) for line in result.stdout.splitlines()) <= columns
