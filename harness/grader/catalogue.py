"""The mutant catalogue (tests/mutants/catalogue.toml) as data, and what the grader told
students of each mistake in its recorded run (tests/mutants/coverage.json): enough to
recognise a student's failure as a known mistake and explain it (recognise), without
grading anything here.
"""

import functools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from harness.engine import runner
from harness.model import coverage, kit
from harness.model.schema import TABLES, TEXT, InputError, Table
from harness.system import containment

ROOT, CATALOGUE, COVERAGE, VARIANTS = kit.ROOT, kit.CATALOGUE, kit.COVERAGE, kit.VARIANTS
COVERAGE_DOC, MISTAKES_DOC = kit.COVERAGE_DOC, kit.MISTAKES_DOC
WAITED = re.compile(r" \(still so after [\d.]+ s\)")  # how long a run waited depends on its timeout


@dataclass(frozen=True)
class Mutant:
    name: str
    program: str  # "srv.py" or "cli.py"
    description: str
    check: str  # the check that must be the first to fail
    find: str
    replace: str
    why: str = ""  # for students: why it is wrong (docs/mistakes.md); the check's hint when empty
    base: str = ""  # a folder of tests/variants/ whose programs it starts from; "": the reference's
    spec: str = "all"  # the checks it is graded on (manifest.SPECS)

    def source(self) -> Path:
        """The program the mistake is made in, before it is made."""
        return (VARIANTS / self.base if self.base else runner.REFERENCE) / self.program

    @property
    def anchor(self) -> str:
        """Its section in docs/mistakes.md."""
        return f"docs/mistakes.md#{self.name}"


MUTANT = Table(
    required={key: TEXT for key in ("name", "program", "description", "check", "find", "replace")},
    optional={key: TEXT for key in ("why", "base", "spec")},
)
CATALOGUE_FILE = Table(required={"mutant": TABLES})


def load_catalogue(path: Path = CATALOGUE) -> list[Mutant]:
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{path.name}: {error}") from None
    CATALOGUE_FILE.check(table, path.name)
    where = f"{path.name}: [[mutant]]"
    return [Mutant(**MUTANT.check(entry, f"{where} {n}")) for n, entry in enumerate(table["mutant"], start=1)]


def normalised(message: str, workdir: Path) -> str:
    """A message without this run's folder, ports and addresses, so the table stays the same;
    different ports in one message keep different names (P, Q, ...)."""
    message = message.replace(str(workdir) + "/", "")
    message = re.sub(rf"[^\s\"']*/{containment.WORKDIR_PREFIX}[^/]+/", "", message)  # the copy a check ran
    message = re.sub(r"[^\s\"'(]*/(srv|cli)\.py\b", r"\1.py", message)  # wherever the student keeps it
    message = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", message)
    names: dict[str, str] = {}
    message = re.sub(
        r"\b(port|PORT) (\d+)", lambda m: f"{m[1]} {names.setdefault(m[2], 'PQRS'[min(len(names), 3)])}", message
    )
    message = re.sub(r"\d+ (bytes|still wait)", r"N \1", message)
    return WAITED.sub("", message)


def load_coverage(path: Path = COVERAGE) -> list[coverage.Caught]:
    """The catalogue's recorded grading run; none when it has not been graded yet."""
    return coverage.load(path) if path.exists() else []


@functools.cache
def _known() -> dict[tuple[str, str], tuple[Mutant, ...]]:
    """{(check, what the student is told): the mistakes}, from the catalogue and its recorded run."""
    try:
        mutants = {mutant.name: mutant for mutant in load_catalogue()}
        run = load_coverage()
    except (OSError, InputError):  # without its catalogue the grader still grades; it only names no mistake
        return {}
    known: dict[tuple[str, str], tuple[Mutant, ...]] = {}
    for caught in run:  # in the catalogue's order: the reference's mistakes first
        if caught.mutant in mutants and caught.first_failed and caught.told:
            key = (caught.first_failed, WAITED.sub("", caught.told))
            known[key] = (*known.get(key, ()), mutants[caught.mutant])
    return known


def recognise(check: str, message: str, workdir: Path = Path("/nonexistent")) -> tuple[Mutant, ...]:
    """The catalogued mistakes whose check failed with this very message: none, one, or several
    that read alike to the grader (no SO_REUSEADDR at all, and SO_REUSEADDR after bind()).
    The same mistake made in a documented-style variant's code is named only when no mistake
    in the reference's code reads alike."""
    found = _known().get((check, normalised(message, workdir)), ())
    in_reference = tuple(mutant for mutant in found if not mutant.base)
    return in_reference or found
