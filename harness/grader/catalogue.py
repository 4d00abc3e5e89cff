"""The mutant catalogue (tests/mutants/catalogue.toml) as data, and what the grader told
students of each mistake (docs/grader-coverage.md): enough to recognise a student's failure
as a known mistake and explain it (recognise), without grading anything here.
"""

import functools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from harness.engine import runner
from harness.model import kit
from harness.model.schema import TABLES, TEXT, InputError, Table
from harness.system import containment

ROOT, CATALOGUE, VARIANTS = kit.ROOT, kit.CATALOGUE, kit.VARIANTS
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


def recorded_messages(coverage: str) -> dict[str, str]:
    """What the student was told for each mutant, as the coverage doc's grading run recorded it."""
    messages = {}
    for line in coverage.split("## Blast radius")[0].splitlines():
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line)]
        if len(cells) == 6 and cells[1].startswith("`") and cells[1] != "`mutant`":
            messages[cells[1].strip("`")] = cells[4].replace("\\|", "|")
    return messages


@functools.cache
def _known() -> dict[tuple[str, str], tuple[Mutant, ...]]:
    """{(check, what the student is told): the mistakes}, from the catalogue and its recorded run."""
    try:
        mutants = {mutant.name: mutant for mutant in load_catalogue()}
        told = recorded_messages(COVERAGE_DOC.read_text())
    except (OSError, InputError):  # without its catalogue the grader still grades; it only names no mistake
        return {}
    known: dict[tuple[str, str], tuple[Mutant, ...]] = {}
    for name, message in told.items():  # in the catalogue's order: the reference's mistakes first
        if name in mutants:
            key = (mutants[name].check, WAITED.sub("", message))
            known[key] = (*known.get(key, ()), mutants[name])
    return known


def recognise(check: str, message: str, workdir: Path = Path("/nonexistent")) -> tuple[Mutant, ...]:
    """The catalogued mistakes whose check failed with this very message: none, one, or several
    that read alike to the grader (no SO_REUSEADDR at all, and SO_REUSEADDR after bind()).
    The same mistake made in a documented-style variant's code is named only when no mistake
    in the reference's code reads alike."""
    found = _known().get((check, normalised(message, workdir)), ())
    in_reference = tuple(mutant for mutant in found if not mutant.base)
    return in_reference or found
