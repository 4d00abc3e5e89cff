"""How fast the chat servers fan lines out: throughput and latency, side by side, nothing lost.

    .venv/bin/python benchmarks/bench_server.py [--sizes 10,100,500] [--runs 3] [--quick] [--ceiling]

Three servers of the same protocol, measured in one run, for rooms of each size:
- reference: reference/srv.py as it is when the benchmark runs;
- documented: benchmarks/servers/documented_style.py, the tutorial's way: select(), and a
  blocking sendall() of whatever one recv() returned to every other client;
- asyncio: benchmarks/servers/asyncio_server.py, streams, one write() per delivery.

Each is started as `python FILE 127.0.0.1 0` (port read from /proc, stdout to a file, checked
at the end: its start line and one line per message) on one core; the clients are driven by
worker processes (fanout_load) confined to the other core, so the generator never takes the
server's core. Two phases on the same connections, each followed by the check:
- latency: 10,000 deliveries a second for the whole room, at most 100 lines/s a client (so
  100 lines/s each with 10 clients, about 1/s with 100, one every 25 s with 500), staggered
  evenly, the send time in each line. That is under a tenth of what the slowest server does
  (asyncio, 0.4-0.5 M/s), so p50 and p99 over every delivery are one line's trip through a
  server that is not queueing, not a backlog;
- throughput: every client sends 64-byte lines as fast as it can within a closed loop that
  keeps 100,000 deliveries in flight in the room; deliveries (one line arriving at one other
  client) are counted over 1 s after 0.3 s of warm-up.
The check (fanout_check), after the phase: every client got every other client's lines
exactly once, in each sender's order, and none of its own; for the documented style on the
reassembled stream, and the table shows how many lines arrived glued under another line's
prefix. A failure shows in the table and makes the exit status 1.

The load generator is not the bottleneck, with one exception. Its "load gen CPU" column says
so for each row: the reference at 17-18 M deliveries/s with 100 clients took about half of
the generator's core. --ceiling adds a fan-out that does no work per line (fanout_load.ceiling):
on this 2-core machine, quiet, the workers received 17.8 M deliveries/s with 10 clients (their
core was full: about 1.45 GB/s is their limit), 13-14.6 M with 100 and 17.9 M with 500 (where
neither core was full: the kernel's loopback work shares them). The exception is the documented style with 10 clients,
which reaches that same byte rate (15-23 M of its shorter, glued lines a second): its figure
there is the generator's limit, a floor for the server.

Medians of --runs runs (the servers' order rotates from run to run). Writes
benchmarks/results/server.json and server.svg (--out DIR elsewhere). A full default run
takes about 3 1/4 minutes and sets aside up to 2.5 GB of memory for receive buffers; --quick
(short windows, 1 run, 10 and 100 clients) about 12 s. Exit status: 0 when every check
passed, 1 when any failed, 2 for bad usage, 130 on Ctrl-C.
"""

import argparse
import json
import os
import resource
import statistics
import sys
import time
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rich.console import Console
from rich.table import Table

from benchmarks import fanout_svg
from benchmarks.fanout_run import (
    CEILING,
    EXPECTED_MAX,
    EXPECTED_PER_RECEIVER,
    FULL,
    HERE,
    QUICK,
    SERVERS,
    Settings,
    measure,
)

BUSY = 0.2  # cores used by other processes during the run, beyond which the figures are flagged
MAX_CLIENTS = 1000  # select() servers cannot watch a descriptor numbered 1024 or more


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:
        """One line, no usage dump: what is wrong and where to look."""
        print(f"{self.prog}: {message} (see --help)", file=sys.stderr)
        sys.exit(2)


def sizes_list(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of numbers: {text!r}") from None
    if any(not 2 <= size <= MAX_CLIENTS for size in sizes):
        raise argparse.ArgumentTypeError(f"room sizes go from 2 to {MAX_CLIENTS}, not {text!r}")
    return sorted(set(sizes))


def servers_list(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [name for name in names if name not in SERVERS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown server {', '.join(unknown) or text!r} (known: {', '.join(SERVERS)})")
    return names


def positive(text: str) -> int:
    if not (text.isdigit() and int(text) >= 1):
        raise argparse.ArgumentTypeError(f"a number from 1 up, not {text!r}")
    return int(text)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = Parser(
        prog="bench_server.py",
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--sizes", type=sizes_list, help="room sizes, e.g. 10,100 (default 10,100,500)")
    parser.add_argument("--runs", type=positive, help="runs per server and size; medians are shown (default 3)")
    parser.add_argument("--quick", action="store_true", help="short windows, 1 run, 10 and 100 clients: a smoke run")
    parser.add_argument("--servers", type=servers_list, default=list(SERVERS), help="which, e.g. reference,asyncio")
    parser.add_argument("--ceiling", action="store_true", help="also measure the load generator's own limit")
    parser.add_argument("--out", type=Path, default=HERE / "results", help="folder for server.json and server.svg")
    args = parser.parse_args(argv)
    args.sizes = args.sizes or ([10, 100] if args.quick else [10, 100, 500])
    args.runs = args.runs or (1 if args.quick else 3)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    settings = QUICK if args.quick else FULL
    kinds = args.servers + ([CEILING] if args.ceiling else [])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = 2 * max(args.sizes) + 100  # the ceiling fan-out and the workers share our limit
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed, hard), hard))
    before = machine_cpu() - own_cpu()
    started, load = time.monotonic(), os.getloadavg()[0]
    measured: dict[tuple[str, int], list[dict]] = {(kind, size): [] for kind in kinds for size in args.sizes}
    try:
        for run in range(args.runs):
            order = kinds[run % len(kinds) :] + kinds[: run % len(kinds)]
            for size in args.sizes:
                for kind in order:
                    progress(f"run {run + 1}/{args.runs}: {kind}, {size} clients")
                    best = max((earlier.get("throughput") or 0 for earlier in measured[(kind, size)]), default=0)
                    first = min(EXPECTED_MAX, EXPECTED_PER_RECEIVER * (size - 1))
                    expected = max(2 * best, 1e6) if best else first
                    measured[(kind, size)].append(measure(kind, size, settings, expected))
    except KeyboardInterrupt:
        progress("")
        print("bench_server.py: interrupted", file=sys.stderr)
        return 130
    progress("")
    elapsed = time.monotonic() - started
    others = (machine_cpu() - own_cpu() - before) / elapsed
    rows = [summarize(kind, size, runs) for (kind, size), runs in measured.items()]
    machine = {
        "cores": os.cpu_count(),
        "load_average_before": load,
        "load_average_after": os.getloadavg()[0],
        "other_processes_cores": max(0.0, others),
        "seconds": elapsed,
    }
    show(rows, kinds, args, settings, machine)
    try:
        write(args.out, rows, kinds, args, settings, machine)
    except OSError as error:
        print(f"bench_server.py: cannot write the results to {args.out}: {error.strerror or error}", file=sys.stderr)
        return 2
    return 1 if any(row["failed"] for row in rows) else 0


def summarize(kind: str, size: int, runs: list[dict]) -> dict:
    def median(field: str) -> float | None:
        values = [run[field] for run in runs if run.get(field) is not None]
        return statistics.median(values) if values else None

    problems = [problem for run in runs for problem in run["problems"]]
    throughputs = [run["throughput"] for run in runs if run.get("throughput")]
    return {
        "server": kind,
        "clients": size,
        "throughput": median("throughput"),
        "throughput_min": min(throughputs, default=None),
        "throughput_max": max(throughputs, default=None),
        "p50_ms": median("p50_ms"),
        "p99_ms": median("p99_ms"),
        "per_cpu_second": median("per_cpu_second"),
        "server_cpu": median("server_cpu"),
        "server_wait": median("server_wait"),
        "load_cpu": median("load_cpu"),
        "load_wait": median("load_wait"),
        "unprefixed": median("unprefixed"),
        "failed": bool(problems) or not throughputs,
        "failed_runs": sum(bool(run["problems"]) for run in runs),
        "problem_count": len(problems),
        "problems": problems[:20],
        "runs": [{key: value for key, value in run.items() if key != "problems"} for run in runs],
    }


def ratio(rows: list[dict], kind: str, size: int) -> float | None:
    """Throughput of `kind` over asyncio's, in the same run and room size."""
    found = {row["server"]: row["throughput"] for row in rows if row["clients"] == size}
    mine, theirs = found.get(kind), found.get("asyncio")
    return mine / theirs if mine and theirs else None


def show(rows: list[dict], kinds: list[str], args: argparse.Namespace, settings: Settings, machine: dict) -> None:
    console = Console()
    if not console.is_terminal:
        console = Console(width=170)  # a file or a pipe: room for the whole table
    table = Table(title=f"Chat server fan-out: medians of {args.runs} run{'s' * (args.runs > 1)}")
    for heading in ("clients", "server", "deliveries/s", "range", "× asyncio", "per CPU-s"):
        table.add_column(heading, justify="left" if heading == "server" else "right", no_wrap=True)
    for heading in ("p50 ms", "p99 ms", "server CPU", "load gen CPU"):
        table.add_column(heading, justify="right", no_wrap=True)
    table.add_column("check", no_wrap=True)
    problems = []
    for row in sorted(rows, key=lambda row: (row["clients"], kinds.index(row["server"]))):
        times = ratio(rows, row["server"], row["clients"])
        if row["failed"]:
            check = f"[red]FAIL {row['failed_runs'] or len(row['runs'])}/{len(row['runs'])} runs[/red]"
            first = row["problems"][0] if row["problems"] else "no figures"
            more = f" (and {row['problem_count'] - 1} more)" if row["problem_count"] > 1 else ""
            problems.append(f"{row['server']}, {row['clients']} clients: {first}{more}")
        elif row["server"] == CEILING:
            check = "not checked"
        else:
            check = "[green]nothing lost[/green]"
            if row["unprefixed"]:  # lossless, but a reader sees these lines as nobody's
                check += f", {row['unprefixed']:.0%} glued"
        table.add_row(
            str(row["clients"]),
            row["server"],
            number(row["throughput"]),
            f"{number(row['throughput_min'])}–{number(row['throughput_max'])}" if len(row["runs"]) > 1 else "-",
            f"{times:.2f}" if times else "-",
            number(row["per_cpu_second"]),
            decimal(row["p50_ms"]),
            decimal(row["p99_ms"]),
            usage(row["server_cpu"], row["server_wait"]),
            usage(row["load_cpu"], row["load_wait"]),
            check,
        )
    console.print(table)
    for problem in problems:
        console.print(f"[red]FAIL[/red] {problem}", highlight=False)
    console.print(
        f"latency: {settings.latency_deliveries:,} deliveries/s for the whole room (at most {settings.max_rate:g} "
        f"lines/s a client) for {settings.latency_seconds:g} s; throughput: {settings.throughput_seconds:g} s "
        f"counted after {settings.warmup_seconds:g} s warm-up. CPU: share of a core in that window (+ runnable "
        "but waiting for one); near 100 % in all, that process was the limit. per CPU-s: deliveries/s over the "
        "server's CPU share, less disturbed by a busy machine. glued: lines that arrived under another's prefix",
        highlight=False,
    )
    if 100 in args.sizes and {"reference", "asyncio"} <= set(kinds):
        row = next(row for row in rows if row["server"] == "reference" and row["clients"] == 100)
        times, p99 = ratio(rows, "reference", 100), row["p99_ms"]
        met = times is not None and times >= 10 and p99 is not None and p99 <= 5 and not row["failed"]
        console.print(
            f"target at 100 clients: reference {times or 0:.1f}× asyncio (want ≥ 10×), p99 {decimal(p99)} ms "
            f"(want ≤ 5), {'nothing lost' if not row['failed'] else 'check FAILED'}: {'met' if met else 'NOT met'}",
            highlight=False,
        )
    console.print(
        f"machine: {machine['cores']} cores, load average {machine['load_average_before']:.2f} before and "
        f"{machine['load_average_after']:.2f} after; other processes used ≈{machine['other_processes_cores']:.2f} "
        f"cores meanwhile; took {machine['seconds']:.0f} s",
        highlight=False,
    )
    if machine["other_processes_cores"] > BUSY:
        console.print(
            "[yellow]the machine was busy with other work: throughput and latency are low and noisy; "
            "compare servers within this run, or run again on a quiet machine[/yellow]"
        )


def write(folder: Path, rows: list[dict], kinds: list[str], args, settings: Settings, machine: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    report = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "python": sys.version.split()[0],
        "machine": machine,
        "settings": {**asdict(settings), "sizes": args.sizes, "runs": args.runs, "quick": args.quick},
        "reference_over_asyncio": {str(size): ratio(rows, "reference", size) for size in args.sizes},
        "results": rows,
    }
    (folder / "server.json").write_text(json.dumps(report, indent=2) + "\n")
    (folder / "server.svg").write_text(fanout_svg.render(rows, kinds, args.sizes))
    print(f"wrote {folder / 'server.json'} and {folder / 'server.svg'}")


def machine_cpu() -> float:
    """CPU seconds all processes have used since boot: all but idle and iowait (a process's
    time includes the softirqs run in its context, here the loopback's TCP work)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    """CPU seconds used by this process and every process it started and waited for."""
    return sum(
        usage.ru_utime + usage.ru_stime
        for usage in (resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN))
    )


def progress(text: str) -> None:
    if sys.stderr.isatty():
        print(f"\r\033[K{text}", end="", file=sys.stderr, flush=True)


def number(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 1e6:
        return f"{value / 1e6:.2f} M"
    return f"{value / 1e3:.0f} k" if value >= 1e3 else f"{value:.0f}"


def decimal(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def usage(cpu: float | None, wait: float | None) -> str:
    return "-" if cpu is None else f"{cpu:.0%} (+{wait or 0:.0%})"


if __name__ == "__main__":
    sys.exit(main())
