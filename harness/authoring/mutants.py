"""The mutant catalogue (tests/mutants/catalogue.toml): copies of the reference with one
real student mistake each, the check that must catch it first, and the run that shows it.

    python -m harness mutants            grade every mutant, print the coverage table
    python -m harness mutants --write    ... on every check, record the run in tests/mutants/coverage.json
                                         and render docs/grader-coverage.md and docs/mistakes.md from it
    python -m harness mutants --check    exit 1 if the recorded run's verdicts are out of date
"""

import shutil
import sys
from pathlib import Path

from harness.authoring import coverage_pages
from harness.engine import runner
from harness.grader import grading
from harness.grader.catalogue import (
    CATALOGUE,
    COVERAGE,
    COVERAGE_DOC,
    MISTAKES_DOC,
    ROOT,
    VARIANTS,
    Mutant,
    load_catalogue,
    load_coverage,
    normalised,
)
from harness.model import coverage, kit
from harness.model.coverage import Caught
from harness.model.manifest import Manifest, load_manifest
from harness.model.outcome import Status
from harness.model.schema import refused_in_one_line

__all__ = ["CATALOGUE", "COVERAGE_DOC", "MISTAKES_DOC", "VARIANTS", "Mutant", "load_catalogue", "normalised"]


def build(mutant: Mutant, folder: Path) -> Path:
    """A folder with the base's programs (the reference's where it has none), one of them
    carrying the mutant's mistake."""
    folder.mkdir(parents=True, exist_ok=True)
    for program in (runner.REFERENCE_SERVER, runner.REFERENCE_CLIENT):
        based = VARIANTS / mutant.base / program.name
        shutil.copy(based if mutant.base and based.exists() else program, folder / program.name)
    target = folder / mutant.program
    source = target.read_text()
    if source.count(mutant.find) != 1:
        raise ValueError(f"mutant {mutant.name}: its text occurs {source.count(mutant.find)} times in {mutant.program}")
    target.write_text(source.replace(mutant.find, mutant.replace))
    return folder


def grade_all(
    mutants: list[Mutant],
    workdir: Path,
    manifest: Manifest | None = None,
    timeout: float | None = None,
    whole: bool = False,
):
    """Grade every mutant, on its spec, up to the check named for it: what comes after cannot
    change which check catches it first (whole: on every check, to see its blast radius), all
    in one parallel run."""
    manifest = manifest or load_manifest()
    last = manifest.steps[-1].number
    targets = []
    for mutant in mutants:
        checks = manifest.spec(mutant.spec).checks_up_to(last)
        if not whole:
            names = [check.name for check in checks]
            checks = checks[: names.index(mutant.check) + 1] if mutant.check in names else checks
        targets.append(grading.Target(mutant.name, build(mutant, workdir / mutant.name), tuple(checks)))
    return grading.grade(targets, timeout=timeout)


def blast_radius(grade: grading.Grade, mutant: Mutant) -> list[str]:
    """The checks a mutant graded on every check did not pass: the checks its one mistake costs."""
    return [r.check.name for r in grade.by_target().get(mutant.name, []) if r.status is not Status.PASSED]


def first_failure(grade: grading.Grade, mutant: Mutant) -> grading.CheckResult | None:
    return next((r for r in grade.by_target().get(mutant.name, []) if r.status is Status.FAILED), None)


def record(
    mutants: list[Mutant], grade: grading.Grade, workdir: Path, radius: dict[str, list[str]] | None = None
) -> list[Caught]:
    """The run as data (tests/mutants/coverage.json): each mutant's first failed check, what it
    told the student, without this run's folders and ports, and (radius: when every mutant was
    graded on every check) its blast radius."""
    run = []
    for mutant in mutants:
        first = first_failure(grade, mutant)
        told = normalised(first.message, workdir) if first else None
        blast = None if radius is None else tuple(radius.get(mutant.name, []))
        run.append(Caught(mutant.name, first.check.name if first else None, told, blast))
    return run


def verdicts(run: list[Caught]) -> dict[str, str | None]:
    """What must not change from run to run: which check fails first on each mutant."""
    return {caught.mutant: caught.first_failed for caught in run}


def main(argv: list[str]) -> int:
    import tempfile

    if argv not in ([], ["--write"], ["--check"]):
        print("usage: python -m harness mutants [--write | --check]", file=sys.stderr)
        return 2
    kit.need_checkout("mutants")
    with refused_in_one_line("mutants"):
        mutants = load_catalogue()
    with tempfile.TemporaryDirectory() as tmp:
        # --write grades every mutant on every check: its first failure comes first all the
        # same (checks are in the manifest's order), and the rest is its blast radius.
        whole = argv == ["--write"]
        print(f"mutants: grading {len(mutants)} mutants" + (" on every check" if whole else ""), file=sys.stderr)
        grade = grade_all(mutants, Path(tmp), whole=whole)
        radius = {m.name: blast_radius(grade, m) for m in mutants} if whole else None
        run = record(mutants, grade, Path(tmp), radius)
    if argv == ["--check"]:
        with refused_in_one_line("mutants"):
            recorded = load_coverage()
        if verdicts(recorded) != verdicts(run):
            print(f"mutants: {COVERAGE.relative_to(ROOT)} is out of date (run `nox -s coverage`)", file=sys.stderr)
            return 1
        return 0
    if argv == ["--write"]:
        COVERAGE.write_text(coverage.dumps(run))
        coverage_pages.write()
        written = ", ".join(str(path.relative_to(ROOT)) for path in (COVERAGE, COVERAGE_DOC, MISTAKES_DOC))
        print(f"mutants: wrote {written}")
    else:
        print(coverage_pages.coverage_page(mutants, {caught.mutant: caught for caught in run}, load_manifest()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
