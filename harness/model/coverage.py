"""The recorded grading run over the mutant catalogue (tests/mutants/coverage.json), as data.

For each mutant: the check that failed first, what it told the student (normalised: without
that run's folders and ports), and, when the run graded it on every check, its blast radius.
`python -m harness mutants --write` records it; the coverage page and the students' page of
common mistakes are rendered from it (harness/authoring/coverage_pages.py), and the grader
reads what it told of each mistake to recognise one (harness/grader/catalogue.py).
"""

import json
from dataclasses import dataclass
from pathlib import Path

from harness.model.schema import COUNT, TABLES, TEXT, TEXTS, InputError, Table

FORMAT_VERSION = 1


@dataclass(frozen=True)
class Caught:
    """What the recorded run found of one mutant."""

    mutant: str
    first_failed: str | None = None  # the check that failed first; None: no check failed
    told: str | None = None  # what that check told the student
    blast_radius: tuple[str, ...] | None = None  # the checks it did not pass, graded on every check


RECORD = Table(required={"name": TEXT}, optional={"first_failed": TEXT, "told": TEXT, "blast_radius": TEXTS})
RUN = Table(required={"format_version": COUNT, "mutants": TABLES})


def load(path: Path) -> list[Caught]:
    """The recorded run, in the order it was recorded (the catalogue's)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise InputError(f"{path.name}: {error}") from None
    RUN.check(raw, path.name)
    if raw["format_version"] > FORMAT_VERSION:
        raise InputError(f"{path.name}: format_version {raw['format_version']} is newer than this kit's")
    run = []
    for number, entry in enumerate(raw["mutants"], start=1):
        RECORD.check(entry, f"{path.name}: mutant {number}")
        radius = entry.get("blast_radius")
        radius = None if radius is None else tuple(radius)
        run.append(Caught(entry["name"], entry.get("first_failed"), entry.get("told"), radius))
    return run


def dumps(run: list[Caught]) -> str:
    """The run as its JSON file holds it; keys with nothing to say are left out."""
    entries = []
    for caught in run:
        entry: dict[str, object] = {"name": caught.mutant}
        if caught.first_failed is not None:
            entry["first_failed"] = caught.first_failed
        if caught.told is not None:
            entry["told"] = caught.told
        if caught.blast_radius is not None:
            entry["blast_radius"] = list(caught.blast_radius)
        entries.append(entry)
    return json.dumps({"format_version": FORMAT_VERSION, "mutants": entries}, indent=2, ensure_ascii=False) + "\n"
