"""`python -m harness.grade --class DIR`: a whole class, one CSV, a results.json per student."""

import argparse
import csv
import json
import os
import shutil
from pathlib import Path

from rich.console import Console

from harness.authoring import examples, mutants
from harness.engine import runner
from harness.grader import grading
from harness.model.manifest import load_manifest
from harness.model.outcome import Status
from harness.platforms import grade_class
from tests.helpers import ROOT, grade

HIDDEN = ROOT / "examples" / "hidden"


def a_class(folder: Path) -> Path:
    """alice hands in the reference, bob a server without its period, dave only a client;
    .git and a roster are not students."""
    for name in ("alice", "dave"):
        (folder / name).mkdir(parents=True)
    shutil.copy(runner.REFERENCE_SERVER, folder / "alice")
    shutil.copy(runner.REFERENCE_CLIENT, folder / "alice")
    shutil.copy(runner.REFERENCE_CLIENT, folder / "dave")
    (no_period,) = [m for m in mutants.load_catalogue() if m.name == "no-period"]
    mutants.build(no_period, folder / "bob")
    (folder / ".git").mkdir()
    (folder / "roster.txt").write_text("alice\nbob\ndave\n")
    return folder


def test_a_class_is_graded_into_one_csv_and_a_results_json_each(tmp_path):
    out = tmp_path / "out"
    args = ("--class", a_class(tmp_path / "class"), "1", "--hidden", HIDDEN, "--out", out, "--workers", "2")
    result = grade(*args, "--timeout", "1")
    assert result.returncode == 0, result.stdout + result.stderr  # graded: the grades are in the files
    with (out / "summary.csv").open(newline="") as file:
        rows = list(csv.reader(file))
    checks = ["start", "usage", "port-zero", "reuse-address", "port-range"]
    assert rows[0] == ["student", "score", "max", *checks, "seconds", "note"]
    by_student = {row[0]: row for row in rows[1:]}
    assert list(by_student) == ["alice", "bob", "dave"]
    assert by_student["alice"][1:8] == ["12", "12", *["passed"] * 5]
    # bob's missing period fails each check that sees his start line, and skips none
    assert by_student["bob"][3:8] == ["failed", "passed", "failed", "failed", "passed"] and by_student["bob"][1] == "4"
    # dave's server cannot run at all: the checks that need start are skipped
    assert by_student["dave"][1:8] == ["0", "12", "failed", "failed", "skipped", "skipped", "failed"]
    assert by_student["dave"][-1] == "no srv.py" and by_student["alice"][-1] == ""
    assert float(by_student["alice"][8]) > 0 and by_student["dave"][8] == "0.0"  # dave's checks never ran
    for student, score in (("alice", 12.0), ("bob", 4.0), ("dave", 0.0)):
        data = json.loads((out / student / "results.json").read_text())
        assert data["score"] == score and data["extra_data"]["max_score"] == 12.0
        assert [test["visibility"] for test in data["tests"]] == ["visible"] * 4 + ["hidden"]
    dave = json.loads((out / "dave" / "results.json").read_text())["tests"][0]
    assert "there is no srv.py" in dave["output"]
    assert "1 of 3 students passed every check" in result.stdout
    assert "no srv.py" in result.stdout and "start" in result.stdout  # bob's first failure
    assert sorted(path.name for path in out.iterdir()) == ["alice", "bob", "dave", "summary.csv"]


def test_every_student_shares_one_pool_and_each_file_is_written_when_its_student_is_done(tmp_path, monkeypatch):
    manifest = load_manifest()
    targets = [grading.folder_target(manifest, tmp_path / name, 1) for name in ("ann", "ben")]
    calls, written_before_last = [], []

    def fake_grade(chosen, workers=None, timeout=None, on_result=None):
        calls.append(([t.label for t in chosen], workers))
        for target in chosen:
            for check in reversed(target.checks):  # out of order, as parallel checks finish
                on_result(grading.CheckResult(target, check, Status.PASSED, seconds=0.5))
            written_before_last.append(sorted(p.parent.name for p in tmp_path.glob("out/*/results.json")))
        return grading.Grade([], 0.0)

    monkeypatch.setattr(grading, "grade", fake_grade)
    args = argparse.Namespace(workers=2, timeout=None)
    grades = grade_class.grade_all(targets, args, Console(file=open(os.devnull, "w")), tmp_path / "out")  # noqa: SIM115
    assert calls == [(["ann", "ben"], 2)]  # one pool for the class, not one per student
    assert written_before_last == [["ann"], ["ann", "ben"]]
    assert [r.check.name for r in grades["ann"].results] == ["start", "usage", "port-zero", "reuse-address"]
    assert grades["ben"].seconds == 2.0


def test_bad_class_usage_is_one_clear_line_and_status_2(tmp_path):
    empty = tmp_path / "empty"
    (empty / ".git").mkdir(parents=True)
    for args, message in [
        (["--class", tmp_path / "nowhere"], "--class: no such folder"),
        (["--class", empty], "no submission folders"),
        (["--class", ROOT / "examples" / "class", "--json", tmp_path / "r.json"], "does not go with --json"),
        (["--class", ROOT / "examples" / "class", "--classroom", tmp_path / "c.json"], "does not go with --classroom"),
        (["--class", ROOT / "examples" / "class", "--path", ROOT / "reference"], "does not go with --path"),
        (["--class", ROOT / "examples" / "class", "1", "2"], "at most one STEP"),
        (["--class", ROOT / "examples" / "class", "99"], "there is no step 99"),
        (["--out", tmp_path / "out"], "--out goes with --class"),
        (["--class", ROOT / "examples" / "class", "--out", ROOT / "README.md"], "--out: not a folder"),
    ]:
        result = grade(*args)
        assert result.returncode == 2, (args, result.stdout)
        assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_the_example_class_is_made_from_the_reference():
    assert examples.stale() == [], "run `python -m harness examples`"
    assert sorted(p.name for p in examples.CLASS.iterdir()) == ["alice", "bob", "carol"]
