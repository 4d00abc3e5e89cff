"""Every command the docs show runs, and ends the way the docs say.

The convention: a fenced block whose info string is `sh` holds commands, one a line, each
run from the top of the kit (a `cd` does not carry over to the next line). `#` starts a
comment. A comment containing `(exit N)` says the command ends with exit status N; without
one it must end with 0. Blocks marked `text`, `console`, `toml`, `python` and the like are
shown, never run.

How they run: one after the other, in a fresh copy of the working tree (what they write
never lands in the kit), each in a session of its own that is ended by PID, with a time
limit. `.venv/bin/` means the bin directory of the interpreter running this check, which is
first on PATH too. nox runs with `--no-venv --no-install`: each session's commands run on
that interpreter instead of in a virtualenv nox builds, which takes the network and a
minute per session (`.ci/run` does that part, from a clean clone).

A few commands cannot run like that here. INSTEAD lists each one, exactly as the docs
write it, with what happens in its place and why. An entry that no page uses any more is
reported too, so the list stays short and true.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from harness.authoring import markdown
from harness.model import kit
from harness.system import procs

ROOT = kit.ROOT
TIME_LIMIT = 60.0  # seconds for one command
EXPECTED_EXIT = re.compile(r"\(exit (?P<status>[0-9]+)\b[^)]*\)")
VENV_BIN = re.compile(r"(?<![\w./-])\.venv/bin/")  # the kit's own, not some/other/.venv/bin/
NOX = re.compile(r"(?P<nox>(?:^|(?<=[\s/]))nox)(?=\s|$)")
# bash runs a lone command in its own place (exec), so Ctrl-C reaches the program as in a terminal;
# dash would stay in between and die of the SIGINT itself.
SHELL = shutil.which("bash") or "/bin/sh"
NOT_COPIED = (".git", ".venv", ".nox", "__pycache__", "*.egg-info", ".pytest_cache", ".ruff_cache", "build", "dist")


@dataclass(frozen=True)
class Instead:
    """How a command that cannot simply run here is checked instead.

    run: this command runs in its place (same conventions), or None: not run at all.
    until: the command itself runs until its output shows this text; then it gets Ctrl-C
    (SIGINT, to its whole process group, as a terminal sends it) and must end as documented.
    """

    why: str
    run: str | None = None
    until: str | None = None


INSTEAD = {
    "python3 -m venv .venv && .venv/bin/pip install -e '.[dev]' && .venv/bin/python harness/run_scenario.py": Instead(
        "a new virtualenv and an install from the network; .ci/run does both on a clean clone. The scenario it "
        "ends with runs here",
        run=".venv/bin/python harness/run_scenario.py",
    ),
    ".venv/bin/nox": Instead(
        "it runs lint and the test suite, which runs this check, and .ci/run runs it whole on a clean clone: "
        "here nox lists its sessions (the two it runs by default marked), and `nox -s lint` and `nox -s tests` "
        "below run as they can",
        run=".venv/bin/nox --list",
    ),
    ".venv/bin/nox -s tests": Instead(
        "it runs the test suite, which runs this check: the tests are only collected",
        run=".venv/bin/nox -s tests -- --collect-only -q",
    ),
    ".venv/bin/nox -s docs": Instead(
        "it is this check, commands and all: it runs without the commands",
        run=".venv/bin/nox -s docs -- --no-commands",
    ),
    # The README's and step 3's: it runs until it watches, then gets Ctrl-C.
    ".venv/bin/nox -s grade -- --watch 3": Instead(
        "it grades again at every save until Ctrl-C: it runs until it watches, then gets Ctrl-C",
        until="watching",
    ),
    **{
        f".venv/bin/nox -s grade -- --watch {step}": Instead(
            "the same command as `--watch 3`, which runs, for another step; `grade STEP` on the line above "
            "grades this step as the watch first does"
        )
        for step in (1, 2, 4, 5, 6, 7, 8, 9)
    },
    # --busy spins every core for the whole command, which would slow every test beside it:
    # those below run without it; busy_cores() runs, briefly, under load.py's command.
    ".venv/bin/python benchmarks/bench_harness.py --runs 200 --busy": Instead(
        "200 runs take minutes, and --busy slows the tests beside it: 3 runs on an idle machine",
        run=".venv/bin/python benchmarks/bench_harness.py --runs 3",
    ),
    ".venv/bin/python benchmarks/bench_grade.py --runs 5": Instead(
        "five runs of every command, the whole reference among them, take minutes: one run, without the "
        "whole reference (the tests grade it)",
        run=".venv/bin/python benchmarks/bench_grade.py --runs 1 --quick",
    ),
    ".venv/bin/python benchmarks/bench_ctrl_c.py --runs 100 --busy": Instead(
        "a hundred gradings take minutes, and --busy slows the tests beside it: one, on an idle machine",
        run=".venv/bin/python benchmarks/bench_ctrl_c.py --runs 1",
    ),
    ".venv/bin/python benchmarks/bench_interrupt.py --runs 20": Instead(
        "twenty gradings take a minute: one",
        run=".venv/bin/python benchmarks/bench_interrupt.py --runs 1",
    ),
    ".venv/bin/python benchmarks/bench_server.py --quick --sizes 10 --out /tmp/chatroom-bench": Instead(
        "tests/test_bench_server.py runs this command, with two clients a server instead of ten, and reads "
        "its table, JSON and SVG",
    ),
    ".venv/bin/python benchmarks/load.py -- .venv/bin/nox -s tests": Instead(
        "it runs the test suite, which runs this check, and it spins every core while it runs: the load runs "
        "under the shortest harness command instead",
        run=".venv/bin/python benchmarks/load.py -- .venv/bin/python harness/run_scenario.py --list",
    ),
}


@dataclass(frozen=True)
class Command:
    where: str  # file:line
    text: str  # as the docs write it, without its comment
    status: int  # the exit status the docs promise


@dataclass
class Result:
    command: Command
    ran: str | None  # what ran, after the INSTEAD list; None: not run
    why: str = ""  # why something else ran, or nothing
    status: int | None = None
    seconds: float = 0.0
    output: str = ""
    problem: str = ""  # empty when the command ended as documented


def commands(text: str, where: str) -> Iterator[Command]:
    """The commands of a page's `sh` blocks."""
    for fence in markdown.fences(text):
        if fence.info != "sh":
            continue
        for offset, line in enumerate(fence.body.splitlines(), start=fence.start + 2):
            command, _, comment = line.partition(" #")
            if command.strip() and not command.lstrip().startswith("#"):
                expected = EXPECTED_EXIT.search(comment)
                yield Command(f"{where}:{offset}", command.strip(), int(expected["status"]) if expected else 0)


def stale_entries(found: list[Command]) -> list[str]:
    """INSTEAD entries that no page uses any more."""
    used = {command.text for command in found}
    return [f"doc_commands.INSTEAD: no page runs {text!r} any more" for text in INSTEAD if text not in used]


def copy_of_kit(into: Path) -> Path:
    """The working tree as it is now, without version control, virtualenvs and caches, and
    with the lesson steps as the kit gives them (a student's work in them is not the kit's)."""
    from harness.authoring import lessons  # the generator; imported here, as the docs check alone needs it

    kit = into / "kit"
    # Compiled modules come along (copied with their sources' times, they stay valid): each
    # copy's commands would otherwise compile the harness again.
    kept = [pattern for pattern in NOT_COPIED if pattern != "__pycache__"]
    shutil.copytree(ROOT, kit, ignore=shutil.ignore_patterns(*kept, ".cache"), symlinks=True)
    for path, text in lessons.generate().files.items():
        (kit / path).write_text(text)
    return kit


def resolved(command: str) -> str:
    """The command as it runs here: this interpreter's bin directory, nox without virtualenvs."""
    bindir = Path(sys.executable).parent
    command = VENV_BIN.sub(f"{bindir}/", command)
    return NOX.sub(lambda m: m["nox"] + " --no-venv --no-install", command)


def environment() -> dict[str, str]:
    bindir = str(Path(sys.executable).parent)
    return {
        **os.environ,
        "PATH": bindir + os.pathsep + os.environ.get("PATH", os.defpath),
        "NO_COLOR": "1",
        "COLUMNS": "160",
    }


def run(command: Command, kit: Path, logs: Path, time_limit: float = TIME_LIMIT) -> Result:
    instead = INSTEAD.get(command.text)
    text = command.text if instead is None or instead.until else instead.run
    result = Result(command, text, instead.why if instead else "")
    if text is None:
        return result
    log = logs / f"{len(list(logs.iterdir()))}.log"
    started = time.monotonic()
    # As from a terminal: Ctrl-C reaches the command even where this check runs with SIGINT
    # ignored (a background job), which its children would inherit (procs.sigint_held).
    with log.open("wb") as output, procs.sigint_held():
        process = subprocess.Popen(
            [SHELL, "-c", resolved(text)],
            cwd=kit,
            env=environment(),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    procs.started_sessions.append(process.pid)
    try:
        result.status, result.problem = _wait(process, log, instead.until if instead else None, time_limit)
        stray = [pid for pid in procs.session_members(process.pid) if pid != process.pid]
        if stray and not result.problem:
            result.problem = f"it left {len(stray)} processes running"
    finally:
        procs.kill_session(process.pid)
        process.wait()
    result.seconds = time.monotonic() - started
    result.output = log.read_text(errors="replace")
    if not result.problem and result.status != command.status:
        result.problem = f"exit status {result.status}, where the docs say {command.status}"
    return result


def _wait(process: subprocess.Popen, log: Path, until: str | None, time_limit: float) -> tuple[int | None, str]:
    deadline = time.monotonic() + time_limit
    if until is not None:
        while until not in log.read_text(errors="replace"):
            if process.poll() is not None:
                return process.returncode, f"it ended before it showed {until!r}"
            if time.monotonic() > deadline:
                return None, f"it did not show {until!r} within {time_limit:g} s"
            time.sleep(0.1)
        os.killpg(process.pid, signal.SIGINT)
        deadline = time.monotonic() + 10
    try:
        return process.wait(timeout=max(0.0, deadline - time.monotonic())), ""
    except subprocess.TimeoutExpired:
        return None, f"still running after {time_limit:g} s" if until is None else "Ctrl-C did not end it within 10 s"


def run_all(found: list[Command], time_limit: float = TIME_LIMIT, on_result=None) -> list[Result]:
    """Run the commands one after the other in one fresh copy of the kit."""
    with tempfile.TemporaryDirectory(prefix="doc-commands-") as tmp:
        kit, logs = copy_of_kit(Path(tmp)), Path(tmp) / "logs"
        logs.mkdir()
        results = []
        for command in found:
            results.append(run(command, kit, logs, time_limit))
            if on_result:
                on_result(results[-1])
        return results
