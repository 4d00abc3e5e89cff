"""How long the harness takes to run a scenario against the reference programs.

    .venv/bin/python benchmarks/bench_harness.py [--runs N] [--scenario NAME] [--busy]

Runs the scenario N times in a row and reports the times the harness itself measured
(Outcome.seconds for a whole run, Outcome.step_seconds for each step), not a clock of
its own. A whole run includes starting and stopping every program; a step is its action
plus the wait until every screen shows what it should.

Reading it: the median is the usual cost; a max far above the median is an outlier (a
slow start, a scheduler hiccup), and a step whose max approaches the scenario's timeout
is one that could fail on a slow machine. --busy runs one busy-loop process per CPU
core during the measurement, to see how the timings (and the verdicts) hold up on a
loaded machine such as a shared CI runner. Exit status: 0 if every run passed, 1 if any
failed, 2 for bad usage or an unknown scenario.
"""

import argparse
import contextlib
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.load import busy_cores
from harness.engine import runner
from harness.model import scenario

DESCRIPTION_WIDTH = 60


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time the harness running a scenario against the reference programs.")
    parser.add_argument("--runs", type=count, default=20, help="how many times to run the scenario (default 20)")
    parser.add_argument("--scenario", default="seed", help="a scenario name or a .toml path (default seed)")
    parser.add_argument("--busy", action="store_true", help="keep every CPU core busy while measuring")
    args = parser.parse_args(argv)
    try:
        chosen = scenario.load(args.scenario)
    except scenario.ScenarioError as error:
        print(f"{parser.prog}: {error}", file=sys.stderr)
        return 2

    try:
        with busy_cores() if args.busy else contextlib.nullcontext(0) as cores:
            if cores:
                print(f"cores loaded: {cores} busy-loop processes running during the measurement")
            outcomes = measure(chosen, args.runs)
    except KeyboardInterrupt:  # every room has ended its programs on the way out
        print("\ninterrupted", file=sys.stderr)
        return 130

    report(chosen, outcomes)
    return 0 if all(outcome.passed for outcome in outcomes) else 1


def count(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def measure(chosen: scenario.Scenario, runs: int) -> list[runner.Outcome]:
    progress = sys.stderr.isatty()
    outcomes = []
    for number in range(1, runs + 1):
        if progress:
            print(f"\rrun {number}/{runs}", end="", file=sys.stderr, flush=True)
        outcomes.append(runner.run(chosen))
    if progress:
        print("\r\033[K", end="", file=sys.stderr, flush=True)
    return outcomes


def report(chosen: scenario.Scenario, outcomes: list[runner.Outcome]) -> None:
    failed = [outcome for outcome in outcomes if not outcome.passed]
    print(f"scenario: {chosen.name} ({len(chosen.steps)} steps, timeout {chosen.timeout:g} s)")
    print(f"runs:     {len(outcomes)}")
    print(f"failures: {len(failed)}")
    if failed:
        first = failed[0].failure
        print(f"  first:  step {first.step}, {first.member}: {first.problem}")
    whole = [outcome.seconds for outcome in outcomes]
    print(f"run ms:   min {ms(min(whole))}  median {ms(statistics.median(whole))}  max {ms(max(whole))}")
    print()
    print(f"{'step':>4}  {'description':<{DESCRIPTION_WIDTH}}  {'median ms':>9}  {'max ms':>7}  {'runs':>4}")
    for number, step in enumerate(chosen.steps, start=1):
        times = [outcome.step_seconds[number - 1] for outcome in outcomes if len(outcome.step_seconds) >= number]
        median = ms(statistics.median(times)) if times else "-"
        longest = ms(max(times)) if times else "-"
        text = shorten(step.describe(), DESCRIPTION_WIDTH)
        print(f"{number:>4}  {text:<{DESCRIPTION_WIDTH}}  {median:>9}  {longest:>7}  {len(times):>4}")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


if __name__ == "__main__":
    sys.exit(main())
