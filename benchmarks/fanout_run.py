"""Measuring one chat server with one room of clients: the machinery behind bench_server.py.

A server is started as `python FILE 127.0.0.1 0` with its stdout in a file, pinned to one
core; the load generator's workers (fanout_load) are pinned together to the other, so that
however busy they get they never take the server's core. measure() runs the latency phase,
then the throughput phase, each with its check, and ends every process it started by PID,
whatever happens; a measurement that cannot be made is a BenchError, reported as that
server's failure rather than as a traceback.
"""

import contextlib
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from array import array
from dataclasses import dataclass
from pathlib import Path

from benchmarks import fanout_load
from benchmarks.fanout_check import NL
from harness.system import procs

HERE = Path(__file__).resolve().parent
SERVERS = {
    "reference": HERE.parent / "reference" / "srv.py",
    "documented": HERE / "servers" / "documented_style.py",
    "asyncio": HERE / "servers" / "asyncio_server.py",
}
CEILING = "ceiling"
# Deliveries/s the clients' receive buffers are sized for in a first run (later runs: twice the best
# seen), and per receiver in small rooms. Beyond it they grow inside the counted window, and page
# faults then cost the generator half its time: the reference reached 18 M/s here with 100 clients,
# the documented style 17.5 M with 10.
EXPECTED_MAX, EXPECTED_PER_RECEIVER = 24e6, 2.5e6
START_SECONDS = 10.0
ANSWER_SECONDS = 120.0  # a worker's longest silence: a drain of a slow server, then the check
CONTEXT = multiprocessing.get_context("fork")  # workers start in milliseconds, sharing what is imported


@dataclass(frozen=True)
class Settings:
    latency_seconds: float = 2.0
    latency_deliveries: int = 10_000  # per second, the whole room
    max_rate: float = 100.0  # lines per second per client
    warmup_seconds: float = 0.3
    throughput_seconds: float = 1.0
    in_flight: int = 100_000  # deliveries, the whole room
    backlog: int = 4_000  # lines at most on their way to any one client (330 KB: the reference drops at 1 MiB)

    def rate(self, size: int) -> float:
        return min(self.max_rate, self.latency_deliveries / (size * (size - 1)))

    def window(self, size: int) -> int:
        return max(1, min(self.in_flight // size, self.backlog) // (size - 1))


FULL = Settings()
QUICK = Settings(latency_seconds=0.25, warmup_seconds=0.1, throughput_seconds=0.2)


def split_cpus() -> tuple[set[int], set[int]]:
    """The server's cores and the load generator's: one core for all the generator's workers,
    so that however busy they are, they never take the server's core (with one core, both share it)."""
    cpus = sorted(os.sched_getaffinity(0))
    return (set(cpus[:-1]), {cpus[-1]}) if len(cpus) > 1 else (set(cpus), set(cpus))


class BenchError(Exception):
    """A measurement that could not be made: shown as that server's failure, not a traceback."""


class Server:
    """One server under test, started by us and ended by its PID."""

    def __init__(self, kind: str, size: int, folder: Path):
        """Starts it and returns at once (so that whatever happens next, it can be ended); the
        port is known after listening()."""
        self.kind, self.stdout, self.port = kind, folder / "stdout", 0
        if kind == CEILING:
            self.conn, child = CONTEXT.Pipe()
            self.process = CONTEXT.Process(target=fanout_load.ceiling, args=(child, size), daemon=True)
            self.process.start()
            child.close()
            self.pid = self.process.pid
            os.sched_setaffinity(self.pid, split_cpus()[0])
            return
        self.stderr = folder / "stderr"
        env = {name: value for name, value in os.environ.items() if not name.startswith("PYTHON")}
        # sigint_held: it starts with SIGINT at its default, as ended below, and is recorded.
        with self.stdout.open("wb") as out, self.stderr.open("wb") as err, procs.sigint_held():
            self.process = subprocess.Popen(
                [sys.executable, str(SERVERS[kind]), "127.0.0.1", "0"],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env={**env, "PYTHONDONTWRITEBYTECODE": "1"},
                start_new_session=True,  # a Ctrl-C at the terminal reaches us, and we end it
            )
            procs.started_sessions.append(self.process.pid)  # the tests' leftover check sees it
        self.pid = self.process.pid
        with contextlib.suppress(OSError):
            os.sched_setaffinity(self.pid, split_cpus()[0])

    def listening(self) -> int:
        """Its port, once it listens. Its stdout goes to a file, block-buffered: the start line
        shows only at the end, so the port is looked up in the kernel's table of listening sockets."""
        if self.kind == CEILING:
            if not self.conn.poll(START_SECONDS):
                raise BenchError("the ceiling fan-out did not start")
            self.port = self.conn.recv()
            return self.port
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                lines = self.stderr.read_text(errors="replace").strip().splitlines() or ["no message"]
                raise BenchError(f"server exited with status {self.process.returncode}: {lines[-1]}")
            inodes = set()
            with contextlib.suppress(OSError):
                for fd in os.listdir(f"/proc/{self.pid}/fd"):
                    with contextlib.suppress(OSError):
                        link = os.readlink(f"/proc/{self.pid}/fd/{fd}")
                        if link.startswith("socket:["):
                            inodes.add(link[8:-1])
            for row in Path("/proc/net/tcp").read_text().splitlines()[1:]:
                fields = row.split()
                if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                    self.port = int(fields[1].split(":")[1], 16)
                    return self.port
            time.sleep(0.01)
        raise BenchError(f"server did not listen within {START_SECONDS:g} s")

    def go(self) -> None:
        if self.kind == CEILING:
            self.conn.send("go")

    def schedstat(self) -> tuple[float, float]:
        return fanout_load.schedstat(self.pid)

    def stop(self, messages: int) -> list[str]:
        """Ctrl-C, as a person would; then its stdout must show the start line and each message."""
        if self.kind == CEILING:
            return []
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            return ["server did not end on SIGINT"]
        out = self.stdout.read_bytes()
        problems = []
        if out.split(NL, 1)[0] != b"Chat Server started on port %d." % self.port:
            problems.append(f"start line printed was {out.split(NL, 1)[0][:60]!r}")
        notices = out.count(b"> New user") + out.count(b"< The user") + 1 + 2  # start line, "\nexit\n"
        if out.count(NL) - notices != messages:
            problems.append(f"server printed {out.count(NL) - notices} lines for {messages} messages")
        return problems

    def end(self) -> None:
        if self.kind == CEILING:
            if self.process.exitcode is None:
                self.process.kill()
            self.process.join()
        else:
            procs.kill_session(self.pid)  # it, and anything it started
            self.process.wait()


class Workers:
    """The load generator's processes; client i is driven by worker i % len(workers)."""

    def __init__(self, port: int, size: int):
        """Starts them and returns at once; ready() waits until every client is in the room."""
        self.size, self.pipes, self.processes = size, [], []
        self.names = [b""] * size
        count = min(size, os.cpu_count() or 1)
        try:
            for number in range(count):
                parent, child = CONTEXT.Pipe()
                process = CONTEXT.Process(
                    target=fanout_load.worker, args=(child, port, list(range(number, size, count)), size), daemon=True
                )
                process.start()
                child.close()
                self.pipes.append(parent)
                self.processes.append(process)
        except OSError as error:
            self.end()
            raise BenchError(f"cannot start the load generator: {error}") from None

    def ready(self) -> None:
        for clients in self.gather("ready", fanout_load.SETTLE_SECONDS + START_SECONDS):
            for index, name in clients:
                self.names[index] = name
        if min(len(name) for name in self.names) < 14:  # ports from 1000 up: see fanout_check.SENDER
            raise BenchError("a client port below 1000")

    def gather(self, tag: str, seconds: float) -> list:
        answers = []
        for pipe in self.pipes:
            try:
                if not pipe.poll(seconds):
                    raise BenchError(f"the load generator did not answer within {seconds:g} s")
                answer = pipe.recv()
            except (EOFError, OSError):
                raise BenchError("a load generator process died") from None
            if answer[0] == "error":
                raise BenchError(f"load generator: {answer[1]}")
            if answer[0] != tag:
                raise BenchError(f"load generator said {answer[0]!r} instead of {tag!r}")
            answers.append(answer[1])
        return answers

    def phase(self, server: Server, settings: dict) -> tuple[dict, int]:
        """Run one phase in every worker; its figures for the whole room and how many lines were sent."""
        for pipe in self.pipes:
            pipe.send(("phase", settings))
        self.gather("prepared", ANSWER_SECONDS)
        go = time.monotonic() + 0.05
        times = {"go": go, "from": go + settings["warmup"], "end": go + settings["warmup"] + settings["seconds"]}
        settings = {**settings, **times}
        for pipe in self.pipes:
            pipe.send(("go", times))
        server.go()
        window = None
        if settings["mode"] != "latency":
            window = self.sample(server, settings["from"], settings["end"])
        sent: dict = {}
        for records in self.gather("sent", settings["end"] - time.monotonic() + ANSWER_SECONDS):
            sent.update(records)
        records = [sent.get(index, b"") for index in range(self.size)]
        if settings["mode"] != CEILING:
            for pipe in self.pipes:
                pipe.send(("streams", self.names, records))
        results = self.gather("result", ANSWER_SECONDS)
        figures: dict = {"problems": [f"client {i}: {text}" for r in results for i, text in r["problems"]]}
        figures["buffers_grew"] = sum(r["grew"] for r in results)
        received = sum(r["received"] for r in results)
        if settings["mode"] == "throughput" and received:
            figures["unprefixed"] = sum(r["unprefixed"] for r in results) / received
        if window is not None:
            if min(r.get("seconds", 0) for r in results) <= 0:
                raise BenchError("the load generator missed the counted window")
            seconds = statistics.mean(r["seconds"] for r in results)
            figures["throughput"] = sum(r["lines"] / r["seconds"] for r in results)
            figures["load_cpu"] = sum(r["cpu"] for r in results) / seconds
            figures["load_wait"] = sum(r["wait"] for r in results) / seconds
            figures["server_cpu"], figures["server_wait"] = window
            if window[0] > 0:  # what one core would do, roughly: less disturbed by a busy machine
                figures["per_cpu_second"] = figures["throughput"] / window[0]
        samples = array("q")
        for r in results:
            samples.frombytes(r["latencies"])
        if settings["mode"] == "latency":
            ordered = sorted(samples)
            if ordered:
                figures["p50_ms"] = ordered[len(ordered) // 2] / 1e6
                figures["p99_ms"] = ordered[min(len(ordered) - 1, len(ordered) * 99 // 100)] / 1e6
            figures["samples"] = len(ordered)
        return figures, sum(fanout_load.lines_in(record) for record in records)

    @staticmethod
    def sample(server: Server, start: float, end: float) -> tuple[float, float]:
        """The server's CPU time over the counted window, and its time waiting for a CPU, as
        fractions of the window: together near 1, the server was the limit (or was starved)."""
        time.sleep(max(0.0, start - time.monotonic()))
        (cpu0, wait0), t0 = server.schedstat(), time.monotonic()
        time.sleep(max(0.0, end - time.monotonic()))
        (cpu1, wait1), seconds = server.schedstat(), time.monotonic() - t0
        return (cpu1 - cpu0) / seconds, (wait1 - wait0) / seconds

    def bye(self) -> None:
        for pipe in self.pipes:
            with contextlib.suppress(OSError):
                pipe.send(("bye",))
        for process in self.processes:
            process.join(timeout=5)

    def end(self) -> None:
        for process in self.processes:
            if process.exitcode is None:
                process.kill()
            process.join()


def measure(kind: str, size: int, settings: Settings, expected: float = EXPECTED_MAX) -> dict:
    """One server, one room size: latency, then throughput, each checked; `expected` deliveries/s
    at most. Every process we started is ended, by PID, whatever happens."""
    figures: dict = {"problems": []}
    server = workers = None
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench_server-") as folder:
        try:
            server = Server(kind, size, Path(folder))
            workers = Workers(server.listening(), size)
            workers.ready()
            messages = 0
            phases = [] if kind == CEILING else [latency_phase]
            phases.append(throughput_phase)
            for phase in phases:  # each timed from when it starts
                result, sent = workers.phase(server, phase(size, settings, kind, expected))
                figures["problems"] += result.pop("problems")
                figures.update(result)
                messages += sent
            figures["problems"] += server.stop(messages)
            workers.bye()
        except (BenchError, OSError) as error:
            figures["problems"].append(str(error))
        finally:
            if workers:
                workers.end()
            if server:
                server.end()
    figures["seconds"] = time.monotonic() - started
    return figures


def latency_phase(size: int, settings: Settings, kind: str, expected: float) -> dict:
    seconds = settings.latency_seconds
    return {
        **{"mode": "latency", "warmup": 0.0, "seconds": seconds, "rate": settings.rate(size)},
        **{"capacity": capacity_for(2 * settings.latency_deliveries * seconds, size), "cpus": split_cpus()[1]},
    }


def throughput_phase(size: int, settings: Settings, kind: str, expected: float) -> dict:
    seconds = settings.warmup_seconds + settings.throughput_seconds
    return {
        **{"mode": CEILING if kind == CEILING else "throughput", "warmup": settings.warmup_seconds},
        **{"seconds": settings.throughput_seconds, "window": settings.window(size)},
        **{"capacity": capacity_for(expected * seconds, size), "cpus": split_cpus()[1]},
    }


def capacity_for(deliveries: float, size: int) -> int:
    """Bytes to set aside, and touch, for each client before a phase: receiving into memory
    never used before costs a page fault per 4 KiB, a sixth of the generator's time."""
    return int(deliveries * fanout_load.RELAYED_BYTES / size)
