"""The GitHub Classroom workflow (generated, current, well formed) and the points it reports."""

import base64
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from harness.grader.grading import CheckResult, Grade, Target
from harness.model.manifest import load_manifest
from harness.model.outcome import Status
from harness.platforms import classroom
from tests.helpers import ROOT, plain, reference_submission

STEP1 = load_manifest().checks_up_to(1)


def parse_yaml(text: str):
    """The small part of YAML the workflow uses: mappings, lists, `|` blocks, quoted scalars."""
    lines = [(len(line) - len(line.lstrip(" ")), line.strip()) for line in text.splitlines()]
    lines = [(indent, line) for indent, line in lines if line and not line.startswith("#")]
    assert all("\t" not in line for _, line in lines)
    value, end = _block(lines, 0, lines[0][0])
    assert end == len(lines), f"could not parse from line {lines[end]}"
    return value


def _block(lines, i, indent):
    if not lines[i][1].startswith("- "):
        return _mapping(lines, i, indent)
    items = []
    while i < len(lines) and lines[i][0] == indent and lines[i][1].startswith("- "):
        body = lines[i][1][2:]
        if ": " in body or body.endswith(":"):  # a mapping starts on the dash's line
            lines[i] = (indent + 2, body)
            item, i = _mapping(lines, i, indent + 2)
        else:
            item, i = _scalar(body), i + 1
        items.append(item)
    return items, i


def _mapping(lines, i, indent):
    result = {}
    while i < len(lines) and lines[i][0] == indent and not lines[i][1].startswith("- "):
        key, colon, value = lines[i][1].partition(":")
        assert colon, f"not a key: {lines[i][1]!r}"
        key, value, i = _scalar(key), value.strip(), i + 1
        assert key not in result, f"{key!r} twice"
        if value == "|":
            block = []
            while i < len(lines) and lines[i][0] > indent:
                block.append(lines[i][1])
                i += 1
            result[key] = "\n".join(block) + "\n"
        elif value:
            result[key] = _scalar(value)
        else:
            assert lines[i][0] > indent or lines[i][1].startswith("- "), f"{key!r} has no value"
            result[key], i = _block(lines, i, lines[i][0])
    return result, i


def _scalar(text: str) -> str:
    if len(text) > 1 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    assert not text.startswith(("'", '"', "{", "[", "&", "*")), f"unsupported YAML: {text!r}"
    return text


def test_the_example_workflow_is_current_and_regenerates_the_same():
    assert classroom.EXAMPLE.read_text() == classroom.workflow(), "run `python -m harness classroom write`"
    assert classroom.workflow() == classroom.workflow()
    check = subprocess.run(
        [sys.executable, "-m", "harness.platforms.classroom", "check"], cwd=ROOT, capture_output=True
    )
    assert check.returncode == 0, check.stderr


def test_the_workflow_is_what_classroom_expects():
    doc = parse_yaml(classroom.workflow())
    assert doc["name"] == "Autograding Tests" and "push" in doc["on"]
    assert doc["permissions"] == {"checks": "write", "actions": "read", "contents": "read"}
    assert doc["env"] == {"KIT_URL": classroom.KIT_URL, "KIT_REF": classroom.KIT_REF}
    (job_name,) = doc["jobs"]
    assert job_name == "run-autograding-tests"  # the reporter records the points on the job of this name
    steps = doc["jobs"][job_name]["steps"]
    assert steps[0]["uses"].startswith("actions/checkout@") and steps[0]["with"]["path"] == "submission"
    (python,) = [step for step in steps if step.get("uses", "").startswith("actions/setup-python@")]
    assert python["with"]["python-version"] == "3.11"
    (grading,) = [step for step in steps if step.get("id") == classroom.RUNNER]
    assert "python -m harness.grade --path ../submission --classroom ../classroom.json" in grading["run"]
    assert 'python -m harness classroom result ../classroom.json >> "$GITHUB_OUTPUT"' in grading["run"]
    reporter = steps[-1]
    assert reporter["uses"] == classroom.REPORTER and reporter["with"]["runners"] == classroom.RUNNER
    assert reporter["env"] == {"CHATROOM_RESULTS": "${{ steps.chatroom.outputs.result }}"}


def test_write_takes_the_kits_url_and_ref_and_a_last_step(tmp_path):
    out = tmp_path / ".github" / "workflows" / "classroom.yml"
    command = ["write", "--kit-url", "https://git.example.edu/net101/kit.git", "--kit-ref", "v2", "--step", "3"]
    written = subprocess.run(
        [sys.executable, "-m", "harness.platforms.classroom", *command, "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
    )
    assert written.returncode == 0, written.stderr
    doc = parse_yaml(out.read_text())
    assert doc["env"] == {"KIT_URL": "https://git.example.edu/net101/kit.git", "KIT_REF": "v2"}
    (grading,) = [step for step in doc["jobs"]["run-autograding-tests"]["steps"] if step.get("id")]
    assert "python -m harness.grade 3 --path ../submission" in grading["run"]


def a_grade() -> Grade:
    """start passed, usage failed, port-zero skipped; two hidden checks, one passed, one failed."""
    points = (5.0, 3.0, 1.0)
    start, usage, port_zero = (replace(check, points=p) for check, p in zip(STEP1[:3], points, strict=True))
    secret = replace(start, name="secret", points=2.0, visibility="hidden")
    other = replace(start, name="other", points=2.0, visibility="after_published")
    target = Target("alice", Path("alice"), (start, usage, port_zero, secret, other))
    return Grade(
        [
            CheckResult(target, start, Status.PASSED),
            CheckResult(target, usage, Status.FAILED, "status 1"),
            CheckResult(target, port_zero, Status.SKIPPED, "start found that it cannot run", blocked_by="start"),
            CheckResult(target, secret, Status.PASSED),
            CheckResult(target, other, Status.FAILED, "why"),
        ],
        seconds=1.0,
    )


def test_every_checks_points_reach_classroom_and_hidden_ones_keep_their_secret():
    result = classroom.runner_result(a_grade())
    assert result["version"] == 1 and result["status"] == "fail" and result["max_score"] == 13.0
    assert sum(test["score"] for test in result["tests"]) == 7.0  # what the reporter adds up for Classroom
    assert [(t["name"], t["status"]) for t in result["tests"]] == [
        ("Step 1: start", "pass"),
        ("Step 1: usage", "fail"),
        ("Step 1: port-zero", "fail"),
        ("hidden check 1", "pass"),
        ("hidden check 2", "fail"),
    ]
    messages = [plain(test["message"]) for test in result["tests"]]
    assert messages[0] == "" and messages[1].startswith("status 1\n\nKit rule: ") and messages[-1] == ""
    assert messages[2] == "Skipped: start found that it cannot run"
    assert "secret" not in json.dumps(result) and "why" not in json.dumps(result)


def test_the_result_is_written_by_the_grader_and_handed_on_as_it_is(tmp_path):
    path = tmp_path / "out" / "classroom.json"
    classroom.write_result(a_grade(), path)
    line = classroom.output_line(path)
    assert json.loads(base64.b64decode(line.removeprefix("result="))) == classroom.runner_result(a_grade())


def test_no_result_or_another_file_is_an_error_out_of_the_manifests_points(tmp_path):
    gradescope = tmp_path / "results.json"  # what an older workflow hands on
    gradescope.write_text(json.dumps({"score": 1.0, "tests": [{"name": "Step 1: start", "status": "passed"}]}))
    for path, said in ((tmp_path / "none.json", "the grader wrote no results"), (gradescope, "regenerate")):
        result = json.loads(base64.b64decode(classroom.output_line(path).removeprefix("result=")))
        assert result["status"] == "fail" and result["tests"][0]["status"] == "error"
        assert result["max_score"] > 0 and result["tests"][0]["score"] == 0.0
        assert said in result["tests"][0]["message"]


def test_the_grading_step_runs_and_writes_its_result_for_the_reporter(tmp_path):
    """The workflow's grading step, run here: the grader is this checkout, on step 1 only."""
    (grading,) = [s for s in parse_yaml(classroom.workflow())["jobs"]["run-autograding-tests"]["steps"] if "id" in s]
    script = grading["run"].replace("../", f"{tmp_path}/").replace("--path", "1 --path")
    reference_submission(tmp_path / "submission")  # the grader finds it beside the checkout
    output = tmp_path / "github_output"
    env = {**os.environ, "GITHUB_OUTPUT": str(output), "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-e", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    (line,) = output.read_text().splitlines()
    assert line.startswith("result=")
    result = json.loads(base64.b64decode(line.removeprefix("result=")))
    assert result["status"] == "pass" and result["max_score"] == 10.0
    assert [test["score"] for test in result["tests"]] == [4.0, 2.0, 2.0, 2.0]


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (["--step", "12"], "classroom: error: --step 12: there is no step 12; the steps are 1 to 9\n"),
        (["--kit-url", "https://ann:s3cret@example.org/kit.git"], "classroom: error: --kit-url holds credentials"),
        (["--kit-url", "nonsense"], "classroom: error: --kit-url 'nonsense' is not a git URL git can clone\n"),
    ],
)
def test_write_refuses_what_would_fail_every_students_run(tmp_path, capsys, arguments, said):
    out = tmp_path / "classroom.yml"
    assert classroom.main(["write", "--out", str(out), *arguments]) == 2
    assert capsys.readouterr().err.startswith(said) and not out.exists()
