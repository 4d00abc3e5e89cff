"""Where the kit's files are: the one module that knows.

Run from the kit's source checkout (a clone of its repository, or the copy in the Gradescope
zip), the checkout's own files are used: students edit lessons/ there, instructors the
manifest. Installed from it (`pip install .`, not editable), the kit carries copies of what
grading reads (CARRIED) inside the package, in harness/kit_files/, laid out as in the
checkout (setup.py puts them there), and uses those. The scenarios and the partner programs
are the package's own (harness/scenarios/, harness/partners/) either way. The authoring
tools, which read or write the rest of the checkout (the docs, the lesson generator, the
mutants, the Gradescope zip), say that they need it (need_checkout).
"""

import os
import sys
import tempfile
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent  # harness/
SCENARIOS = PACKAGE / "scenarios"
# The grader's own server and client, which stand in for the part a check does not grade.
PARTNERS = PACKAGE / "partners"
PACKAGED = PACKAGE / "kit_files"  # an installed kit's copies of the checkout's files
# Those files, relative to the checkout: what grading reads, besides the package's own.
# setup.py copies each that the source tree holds (the Gradescope zip holds the first three).
CARRIED = (
    "lessons/steps.toml",
    "reference/srv.py",
    "reference/cli.py",
    "lessons/source/srv.py",  # which step files are as the kit gives them (harness/grader/progress.py)
    "lessons/source/cli.py",
    "tests/mutants/catalogue.toml",  # a failure recognised as a known mistake (harness/grader/catalogue.py)
    "tests/mutants/coverage.json",
)


def _checkout() -> Path | None:
    """The source checkout harness/ lies in, if it does: a folder with the kit's pyproject.toml
    and manifest beside harness/ (site-packages, where an installed kit lies, has neither)."""
    root = PACKAGE.parent
    return root if (root / "pyproject.toml").is_file() and (root / "lessons" / "steps.toml").is_file() else None


CHECKOUT = _checkout()
ROOT = CHECKOUT or PACKAGED  # the kit's files, laid out as in the checkout
REFERENCE = ROOT / "reference"
REFERENCE_SERVER = REFERENCE / "srv.py"
REFERENCE_CLIENT = REFERENCE / "cli.py"
LESSONS = ROOT / "lessons"  # and the students' step folders, in a checkout
MANIFEST = LESSONS / "steps.toml"
LESSON_SOURCE = LESSONS / "source"  # the master programs, with step markers (harness/authoring/lessons.py)
# What recognises a failure as a known mistake (harness/grader/catalogue.py); a kit without them
# still grades, only naming no mistake.
CATALOGUE = ROOT / "tests" / "mutants" / "catalogue.toml"
COVERAGE = ROOT / "tests" / "mutants" / "coverage.json"  # its recorded grading run (harness/model/coverage.py)
VARIANTS = ROOT / "tests" / "variants"  # checkout only
COVERAGE_DOC = ROOT / "docs" / "grader-coverage.md"  # checkout only, rendered from COVERAGE
MISTAKES_DOC = ROOT / "docs" / "mistakes.md"  # checkout only, rendered from CATALOGUE and COVERAGE
# What the grader remembers between runs (harness/grader/progress.py): in the checkout, or, for an
# installed kit, whose package folder is no place to write, in the user's cache.
USER_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "chatroom-kit"
CACHE = CHECKOUT / ".cache" if CHECKOUT else USER_CACHE


def need_checkout(tool: str) -> Path:
    """The checkout, for a tool that reads or writes the kit's sources; without one, exit 2
    saying so, rather than fail on a missing file."""
    if CHECKOUT is None:
        print(
            f"{tool}: this needs the kit's source checkout (a clone of its repository, with the kit "
            f"installed from it: pip install -e .); this copy of the kit is installed in {PACKAGE}",
            file=sys.stderr,
        )
        raise SystemExit(2)
    return CHECKOUT


def write_whole(path: Path, data: bytes) -> None:
    """Write a file whole or not at all: a reader at the same moment (another grading, another
    test worker) sees the old file or the new one, never half of one."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
