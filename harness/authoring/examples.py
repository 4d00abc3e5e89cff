"""The example class in examples/class/, made from the reference, for the instructors' guide
(docs/instructors.md): three small submissions that grade three different ways.

    python -m harness examples           write them
    python -m harness examples --check   exit 1 if any differs from what would be written

alice hands in the reference; bob's server sends every message back to its sender too (the
catalogue's echo-to-sender mistake); carol hands in the reference server and no client.
"""

import sys
import tempfile
from pathlib import Path

from harness.authoring import mutants
from harness.engine import runner
from harness.model import kit

CLASS = kit.ROOT / "examples" / "class"
BOB_MISTAKE = "echo-to-sender"


def expected() -> dict[Path, str]:
    """Every example file (relative to examples/class/) and its text."""
    server, client = runner.REFERENCE_SERVER.read_text(), runner.REFERENCE_CLIENT.read_text()
    (mistake,) = [mutant for mutant in mutants.load_catalogue() if mutant.name == BOB_MISTAKE]
    with tempfile.TemporaryDirectory() as folder:
        bob = mutants.build(mistake, Path(folder))
        bob_files = {name: (bob / name).read_text() for name in ("srv.py", "cli.py")}
    return {
        Path("alice/srv.py"): server,
        Path("alice/cli.py"): client,
        Path("bob/srv.py"): bob_files["srv.py"],
        Path("bob/cli.py"): bob_files["cli.py"],
        Path("carol/srv.py"): server,
    }


def stale() -> list[Path]:
    """Example files that differ from what would be written, and files that should not be there."""
    files = expected()
    on_disk = {path.relative_to(CLASS) for path in CLASS.rglob("*") if path.is_file()} if CLASS.is_dir() else set()
    wrong = [path for path, text in files.items() if path not in on_disk or (CLASS / path).read_text() != text]
    return sorted(wrong + [path for path in on_disk - set(files) if "__pycache__" not in path.parts])


def main(argv: list[str]) -> int:
    if argv not in ([], ["--check"]):
        print("usage: python -m harness examples [--check]", file=sys.stderr)
        return 2
    kit.need_checkout("examples")
    if argv == ["--check"]:
        out_of_date = stale()
        for path in out_of_date:
            print(
                f"examples: out of date: examples/class/{path} (run `python -m harness examples`)",
                file=sys.stderr,
            )
        return 1 if out_of_date else 0
    files = expected()
    for path, text in files.items():
        (CLASS / path).parent.mkdir(parents=True, exist_ok=True)
        (CLASS / path).write_text(text)
    print(f"examples: wrote {len(files)} files in {CLASS}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
