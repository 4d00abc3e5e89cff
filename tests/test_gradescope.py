"""The Gradescope autograder zip, run as Gradescope runs it, in a fake /autograder.

Each run grades step 1 only (`run_autograder 1`): a few quick checks, the whole path.
"""

import csv
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from harness.authoring import mutants
from harness.platforms import autograder, gradescope
from tests.helpers import ROOT, grade, plain, reference_submission

HIDDEN = ROOT / "examples" / "hidden"
TEST_FIELDS = {"name", "number", "score", "max_score", "status", "output", "output_format", "visibility", "tags"}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return gradescope.build(tmp_path_factory.mktemp("dist"), hidden=HIDDEN)


def mutant(name: str, folder: Path) -> Path:
    (chosen,) = [m for m in mutants.load_catalogue() if m.name == name]
    return mutants.build(chosen, folder)


def graded(built: Path, submission: Path, base: Path) -> dict:
    gradescope.lay_out(built, submission, base)
    return gradescope.run_autograder(base, ("1",), quiet=True)


def test_the_zip_has_gradescopes_scripts_at_its_root_executable_and_the_kit(built):
    with zipfile.ZipFile(built) as archive:
        names = set(archive.namelist())
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
        setup = archive.read("setup.sh").decode()
    assert {"setup.sh", "run_autograder", "pyproject.toml", "lessons/steps.toml", "reference/srv.py"} <= names
    assert {"harness/grade.py", "harness/platforms/autograder.py", "harness/scenarios/seed.toml"} <= names
    assert {"hidden/checks.toml", "hidden/port-range.toml"} <= names
    assert not [name for name in names if "__pycache__" in name or name.startswith(("tests/", "lessons/source/"))]
    assert not [name for name in names if name.startswith("lessons/") and name != "lessons/steps.toml"]
    assert modes["run_autograder"] & 0o111 and modes["setup.sh"] & 0o111
    assert 'pip install -e "$ROOT/source"' in setup and "python3.11-venv" in setup
    for script in ("setup.sh", "run_autograder"):
        text = gradescope.scripts()[script]
        assert subprocess.run(["bash", "-n"], input=text, text=True).returncode == 0, script
        assert '"${AUTOGRADER_ROOT:-/autograder}"' in text


def test_the_same_files_build_the_same_zip(built, tmp_path):
    assert gradescope.build(tmp_path, hidden=HIDDEN).read_bytes() == built.read_bytes()


def test_a_passing_submission_gets_full_marks_and_gradescopes_fields(built, tmp_path):
    data = graded(built, reference_submission(tmp_path / "upload"), tmp_path / "autograder")
    assert data["score"] == data["extra_data"]["max_score"] == 12.0  # step 1's 10 points and the hidden 2
    assert isinstance(data["execution_time"], int) and data["output"].startswith("5 of 5 checks passed")
    names = [test["name"] for test in data["tests"]]
    assert names == [f"Step 1: {name}" for name in ("start", "usage", "port-zero", "reuse-address", "port-range")]
    for test in data["tests"]:
        assert set(test) == TEST_FIELDS and test["status"] == "passed" and test["score"] == test["max_score"]
    assert [test["visibility"] for test in data["tests"]] == ["visible"] * 4 + ["hidden"]
    assert [test["tags"] for test in data["tests"]] == [["documented"]] + [["kit"]] * 4


def test_a_failing_submission_in_a_folder_is_found_and_graded(built, tmp_path):
    upload = tmp_path / "upload"
    mutant("no-period", upload / "my-chat")  # uploaded as a folder: the programs are one level down
    base = tmp_path / "autograder"
    gradescope.lay_out(built, upload, base)
    assert (base / autograder.SUBMISSION / "my-chat" / "srv.py").is_file()
    data = gradescope.run_autograder(base, ("1", "--timeout", "1"), quiet=True)
    by_name = {test["name"]: test for test in data["tests"]}
    assert by_name["Step 1: start"]["status"] == "failed" and by_name["Step 1: start"]["score"] == 0.0
    assert "Hint: " in plain(by_name["Step 1: start"]["output"])
    # the server runs: the checks that need start run too, and fail where they see the line
    assert by_name["Step 1: port-zero"]["status"] == "failed" and "Kit rule: " in plain(
        by_name["Step 1: port-zero"]["output"]
    )
    assert 0 < data["score"] < data["extra_data"]["max_score"]


def test_an_upload_without_the_programs_scores_zero_and_says_so(built, tmp_path):
    upload = tmp_path / "upload"
    upload.mkdir()
    (upload / "notes.txt").write_text("I ran out of time")
    data = graded(built, upload, tmp_path / "autograder")
    assert data["score"] == 0.0 and data["tests"] == []
    assert "No srv.py or cli.py" in data["output"]


def test_a_grader_that_fails_still_leaves_a_results_json(built, tmp_path):
    base = tmp_path / "autograder"
    gradescope.lay_out(built, reference_submission(tmp_path / "upload"), base)
    (base / autograder.SOURCE / "lessons" / "steps.toml").write_text("[[step]\n")  # the grader cannot start
    data = gradescope.run_autograder(base, ("1",), quiet=True)
    assert data["score"] == 0.0 and data["tests"] == []
    assert "could not grade this submission" in data["output"] and "steps.toml" in data["output"]


def test_a_python_that_cannot_start_still_leaves_a_results_json(built, tmp_path):
    base = tmp_path / "autograder"
    gradescope.lay_out(built, reference_submission(tmp_path / "upload"), base)
    (base / autograder.VENV / "bin" / "python").write_text("#!/bin/sh\nexit 127\n")  # setup.sh never ran
    data = gradescope.run_autograder(base, quiet=True)
    assert data == autograder.failure("The autograder could not start; please tell your instructor.")


def test_bad_usage_is_one_line_and_status_2(tmp_path):
    for args, message in [
        (["--hidden", tmp_path / "nowhere"], "--hidden: no such folder"),
        (["--try", tmp_path / "nowhere"], "--try: no such folder"),
        (["--hidden", tmp_path, "--out", tmp_path / "dist"], "checks.toml"),
    ]:
        result = subprocess.run(
            [sys.executable, "-m", "harness.platforms.gradescope", *map(str, args)],
            capture_output=True, text=True, cwd=ROOT, timeout=60,
        )  # fmt: skip
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "dist").exists()


def test_a_submission_in_a_folder_scores_the_same_in_the_autograder_and_with_class(built, tmp_path):
    """The zip a Mac makes of a folder: the programs one folder down, beside __MACOSX."""
    upload = tmp_path / "class" / "erin"
    reference_submission(upload / "chat-room")
    (upload / "__MACOSX" / "chat-room").mkdir(parents=True)
    (upload / "__MACOSX" / "chat-room" / "srv.py").write_bytes(b"\x00\x05\x16\x07")  # resource fork
    data = graded(built, upload, tmp_path / "autograder")
    out = tmp_path / "out"
    done = grade("--class", tmp_path / "class", "1", "--hidden", HIDDEN, "--out", out)
    assert done.returncode == 0, done.stdout + done.stderr
    with (out / "summary.csv").open(newline="") as file:
        (row,) = [row for row in csv.reader(file) if row[0] == "erin"]
    assert float(row[1]) == data["score"] == data["extra_data"]["max_score"] > 0


def test_a_build_without_hidden_checks_never_replaces_a_zip_that_has_them(built, capsys):
    before = built.read_bytes()
    with pytest.raises(SystemExit) as refused:
        gradescope.main(["--out", str(built.parent)])
    assert refused.value.code == 2
    assert capsys.readouterr().err == (
        f"gradescope: error: {built} holds hidden checks, and this build has none: give --hidden DIR, "
        "or --out another folder, or delete the zip first\n"
    )
    assert built.read_bytes() == before
