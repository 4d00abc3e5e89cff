"""Student code cannot read, forge or stop what grades it (harness/system/sandbox.py). Hostile
submissions (tests/hostile/) are graded the way Gradescope grades them (run_autograder with
AUTOGRADER_ROOT in a temporary folder) and the way an instructor grades a class (--class):
each ends as a failed check that names its cause, nothing of the grader's appears in any
output, every other result is intact, and conftest.py finds nothing left running.

The sandbox needs root, as Gradescope and GitHub Classroom runners have: elsewhere these are
skipped (and grading a class says what is missing; tests/test_grade_class.py)."""

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.engine import runner
from harness.platforms import gradescope
from harness.system import sandbox
from tests.helpers import ROOT, grade, reference_submission

pytestmark = [
    pytest.mark.skipif(not sandbox.active(), reason="the sandbox needs root (as on Gradescope)"),
    pytest.mark.usefixtures("fresh_runs"),  # these tests are about how a run is made
]

HOSTILE = Path(__file__).resolve().parent / "hostile"
HIDDEN = ROOT / "examples" / "hidden"
# What each one says, or the grader says of it, in its failed check.
ATTACKS = {
    "reads-secrets": "seen 'reads-secrets: 0 files read'",
    "forges-results": "seen 'forges-results: ",
    "kills-grader": "seen 'kills-grader: its parent: Operation not permitted'",
    "kills-everyone": "seen 'kills-everyone: as user ",
    "lists-interfaces": "seen 'lists-interfaces: lo; outside: Network is unreachable'",
    "fills-disk": "srv.py filled its folder: a check's files may take 256 MiB in all",
    "daemon": "seen 'daemon: started one'",
}
# Text only the grader's own files hold: a hidden check's hint and scenario, the reference.
SECRETS = [
    "A port is a number from 0 to 65535",
    "the server is started with the port 70000",
    "select() cannot watch a descriptor from this number on",
    "def run_check(",
]


def hostile(name: str, folder: Path) -> Path:
    folder.mkdir(parents=True)
    shutil.copy(HOSTILE / name / "srv.py", folder)
    shutil.copy(runner.REFERENCE_CLIENT, folder)
    return folder


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return gradescope.build(tmp_path_factory.mktemp("dist"), hidden=HIDDEN)


def leaked(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


def seen_by_students(results: dict) -> str:
    """What Gradescope shows a student of a results.json: the tests that are visible."""
    shown = [test["output"] for test in results["tests"] if test["visibility"] == "visible"]
    return "\n".join([results.get("output", ""), *shown])


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_on_gradescope_a_hostile_submission_is_a_failed_check_naming_its_cause(built, tmp_path, name):
    base = tmp_path / "autograder"
    gradescope.lay_out(built, hostile(name, tmp_path / "upload"), base)
    data = gradescope.run_autograder(base, ("1",), quiet=True)
    start = next(test for test in data["tests"] if test["name"] == "Step 1: start")
    assert start["status"] == "failed" and ATTACKS[name] in start["output"], start["output"]
    assert data["output"] != "FORGED" and data["score"] < data["extra_data"]["max_score"]
    assert not leaked(seen_by_students(data))


def test_in_a_class_hostile_students_fail_and_the_honest_one_is_graded_intact(tmp_path):
    students = tmp_path / "class"
    for name in ATTACKS:
        hostile(name, students / name)
    reference_submission(students / "honest")
    out = tmp_path / "grades"
    done = grade("--class", students, "1", "--hidden", HIDDEN, "--out", out, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not leaked(done.stdout + done.stderr)
    with (out / "summary.csv").open(newline="") as file:
        rows = {row[0]: row for row in csv.reader(file)}
    assert rows["honest"][1:3] == ["12", "12"]
    for name, cause in ATTACKS.items():
        data = json.loads((out / name / "results.json").read_text())
        start = data["tests"][0]
        assert start["status"] == "failed" and cause in start["output"], (name, start["output"])
        assert data["output"] != "FORGED" and not leaked(seen_by_students(data)), name
        assert float(rows[name][1]) < 12, name
    assert json.loads((out / "honest" / "results.json").read_text())["score"] == 12


def test_two_graders_side_by_side_never_give_their_checks_the_same_user():
    """A test suite's workers, or an instructor's two terminals: one check's kill(-1, ...) or
    fork loop must not reach the other grader's checks."""
    users = "from harness.system import sandbox; print(*(sandbox.next_user() for _ in range(600)))"
    graders = [subprocess.Popen([sys.executable, "-c", users], cwd=ROOT, stdout=subprocess.PIPE) for _ in range(2)]
    ones, others = (set(map(int, grader.communicate(timeout=30)[0].split())) for grader in graders)
    assert len(ones) == len(others) == sandbox.PER_GRADER and not ones & others
    assert all(user in sandbox.USERS for user in ones | others)
