"""Run one scenario and show every terminal side by side.

    python harness/run_scenario.py                 # the documented session, on the reference
    python harness/run_scenario.py burst --server my/srv.py
    python harness/run_scenario.py --clients 5     # five users join, talk and leave
    python harness/run_scenario.py --list
    python harness/run_scenario.py --svg docs/images/seed.svg   # also save the report as a picture

Exit status: 0 pass, 1 fail, 2 bad usage.
"""

import argparse
import io
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: import the kit, not neighbours of this file
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from rich.console import Console
from rich.table import Table

from harness.engine import runner
from harness.model import scenario
from harness.outputs import report


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="run_scenario.py",
        description="Run a chat-room scenario in real terminals and check what every screen shows.",
        epilog="Scenarios live in harness/scenarios/*.toml; NAME may also be a path to a .toml file.",
    )
    parser.add_argument("name", nargs="?", metavar="NAME", help="scenario to run (default: seed)")
    parser.add_argument("--server", type=Path, default=runner.REFERENCE_SERVER, metavar="FILE", help="server program")
    parser.add_argument("--client", type=Path, default=runner.REFERENCE_CLIENT, metavar="FILE", help="client program")
    parser.add_argument("--clients", type=int, metavar="N", help="run a generated room of N users instead")
    parser.add_argument("--timeout", type=float, metavar="S", help="seconds any one wait may take")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument("--svg", type=Path, metavar="FILE", help="also write the report as an SVG picture")
    args = parser.parse_args(argv)
    for option in ("server", "client"):
        if not getattr(args, option).is_file():
            parser.error(f"--{option}: no such file: {getattr(args, option)}")
    if args.clients is not None and args.name:
        parser.error("give a scenario NAME or --clients N, not both")
    if args.clients is not None and not 1 <= args.clients <= 100:
        parser.error("--clients takes a number from 1 to 100")
    if args.timeout is not None and args.timeout <= 0:
        parser.error("--timeout takes a positive number of seconds")
    return args


def list_scenarios(console: Console) -> None:
    table = Table("scenario", "steps", "what happens", title="Scenarios", title_justify="left")
    for name in scenario.available():
        loaded = scenario.load(name)
        table.add_row(name, str(len(loaded.steps)), loaded.description)
    console.print(table)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    console = Console(highlight=False)
    try:
        if args.list:
            list_scenarios(console)
            return 0
        chosen = scenario.room_of(args.clients) if args.clients else scenario.load(args.name or "seed")
    except scenario.ScenarioError as error:
        print(f"run_scenario.py: error: {error}", file=sys.stderr)
        return 2
    outcome = runner.run(chosen, server=args.server.resolve(), client=args.client.resolve(), timeout=args.timeout)
    report.render(outcome, console)
    if args.svg:
        write_svg(outcome, args.svg)
    return 0 if outcome.passed else 1


def write_svg(outcome: runner.Outcome, path: Path) -> None:
    """The report as a picture, wide enough for every screen side by side whatever the terminal."""
    recorder = Console(record=True, file=io.StringIO(), width=report.side_by_side_width(outcome), no_color=False)
    report.render(outcome, recorder)
    path.parent.mkdir(parents=True, exist_ok=True)
    recorder.save_svg(str(path), title=f"run_scenario.py {outcome.scenario.name}")


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:  # the room has already ended its processes on the way out
        print("interrupted", file=sys.stderr)
        sys.exit(130)
