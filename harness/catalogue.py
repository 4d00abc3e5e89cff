"""The mutant catalogue (tests/mutants/catalogue.toml) as data, and what the grader told
students of each mistake (docs/grader-coverage.md): enough to recognise a student's failure
as a known mistake and explain it (recognise), without grading anything here.
"""

import functools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from harness import containment, runner

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "tests" / "mutants" / "catalogue.toml"
VARIANTS = ROOT / "tests" / "variants"
COVERAGE_DOC = ROOT / "docs" / "grader-coverage.md"
MISTAKES_DOC = ROOT / "docs" / "mistakes.md"
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


def load_catalogue(path: Path = CATALOGUE) -> list[Mutant]:
    return [Mutant(**entry) for entry in tomllib.loads(path.read_text())["mutant"]]


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
def _known() -> dict[tuple[str, str], Mutant]:
    """{(check, what the student is told): the mistake}, from the catalogue and its recorded run."""
    try:
        mutants = {mutant.name: mutant for mutant in load_catalogue()}
        told = recorded_messages(COVERAGE_DOC.read_text())
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    known: dict[tuple[str, str], Mutant] = {}
    for name, message in told.items():  # of two mistakes that read alike, the first: the reference's
        if name in mutants:
            known.setdefault((mutants[name].check, WAITED.sub("", message)), mutants[name])
    return known


def recognise(check: str, message: str, workdir: Path = Path("/nonexistent")) -> Mutant | None:
    """The catalogued mistake whose check failed with this very message, if one did."""
    return _known().get((check, normalised(message, workdir)))
