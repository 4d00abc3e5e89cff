"""Every mutant in the catalogue fails, first on the check named for it, with expected and seen.

All mutants are graded once, side by side, and each test reads its own result."""

import pytest

from harness.authoring import mutants
from harness.model.manifest import load_manifest

CATALOGUE = mutants.load_catalogue()


@pytest.fixture(scope="session")
def graded(made_once):
    return made_once("mutants", lambda workdir: (mutants.grade_all(CATALOGUE, workdir), workdir))


def test_the_catalogue_has_at_least_25_distinct_mistakes_with_real_checks():
    names = [m.name for m in CATALOGUE]
    checks = {check.name for step in load_manifest().steps for check in step.checks}
    assert len(names) >= 25 and len(set(names)) == len(names)
    assert all(m.check in checks and m.description for m in CATALOGUE)


@pytest.mark.parametrize("mutant", CATALOGUE, ids=[m.name for m in CATALOGUE])
def test_the_mutant_is_caught_first_by_its_check_with_expected_and_seen(graded, mutant):
    grade, _ = graded
    first = mutants.first_failure(grade, mutant)
    assert first is not None, f"{mutant.name} passed every check"
    assert first.check.name == mutant.check, f"{mutant.name} failed first on {first.check.name}: {first.message}"
    assert "expected" in first.message and ("seen" in first.message or "but" in first.message), first.message


def test_the_recorded_run_is_current(graded):
    grade, workdir = graded
    run = mutants.record(CATALOGUE, grade, workdir)
    assert all(caught.first_failed == mutant.check for caught, mutant in zip(run, CATALOGUE, strict=True))
    assert mutants.verdicts(mutants.load_coverage()) == mutants.verdicts(run), "stale: run `nox -s coverage`"


def test_a_mutant_whose_text_is_gone_is_refused(tmp_path):
    broken = mutants.Mutant("gone", "srv.py", "nothing", "start", "no such text in the reference", "x")
    with pytest.raises(ValueError, match="occurs 0 times"):
        mutants.build(broken, tmp_path / "gone")


# A student's most common mistakes: the grader must say which mistake it is, not only what differed.
COMMON = ["no-period", "users-at-one", "echo-to-sender", "you-without-space", "leave-count-before-removal"]


@pytest.mark.parametrize("name", COMMON)
def test_a_common_mistake_is_named_with_its_explanation(graded, name):
    from harness.outputs import grade_report

    grade, _ = graded
    (mutant,) = [m for m in CATALOGUE if m.name == name]
    advice = dict(grade_report.advice(mutants.first_failure(grade, mutant)))
    assert advice["mistake"].startswith(f"this looks like {name}: {mutant.description}"), advice
    assert advice["hint"] == mutant.why


def test_mistakes_the_grader_cannot_tell_apart_are_all_named(graded):
    """No SO_REUSEADDR and SO_REUSEADDR after bind() fail reuse-address with the same words."""
    from harness.outputs import grade_report

    grade, _ = graded
    (mutant,) = [m for m in CATALOGUE if m.name == "reuseaddr-after-bind"]
    failure = mutants.first_failure(grade, mutant)
    advice = dict(grade_report.advice(failure))
    assert advice["mistake"].startswith("this looks like one of these: no-reuseaddr: "), advice
    assert "; or reuseaddr-after-bind: SO_REUSEADDR is set after bind()" in advice["mistake"]
    assert advice["hint"] == failure.check.hint
