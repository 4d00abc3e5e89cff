"""Hidden checks (--hidden DIR): graded and counted, never detailed to the student."""

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from rich.console import Console

from harness.grader.grading import CheckResult, Grade, Target
from harness.model.manifest import ManifestError, add_hidden, load_manifest
from harness.model.outcome import Status
from harness.outputs import disclosure, grade_report, results
from tests.helpers import ROOT, grade

HIDDEN = ROOT / "examples" / "hidden"
SCENARIO = (HIDDEN / "port-range.toml").read_text()


KIT_LAYER = 'layer = "kit"\nrule = "a rule"\n'  # every check says its layer (tests/test_layers.py)


def hidden_folder(tmp_path: Path, checks: str, scenario: str = SCENARIO) -> Path:
    (tmp_path / "checks.toml").write_text("format_version = 1\n" + checks.replace("part = ", KIT_LAYER + "part = "))
    (tmp_path / "secret.toml").write_text(scenario)
    return tmp_path


def test_hidden_checks_join_their_step_after_its_own():
    manifest = add_hidden(load_manifest(), HIDDEN)
    names = [check.name for check in manifest.step(1).checks]
    assert names == ["start", "usage", "port-zero", "reuse-address", "port-range"]
    hidden = manifest.step(1).checks[-1]
    assert hidden.hidden and hidden.visibility == "hidden" and hidden.points == 2.0
    assert Path(hidden.scenario) == HIDDEN / "port-range.toml" and hidden.load().name == "port-range"
    assert not any(check.hidden for step in load_manifest().steps for check in step.checks)
    assert [check.name for check in manifest.checks_up_to(2)][-2:] == ["accept", "restart"]


def test_a_hidden_check_may_need_a_visible_one_and_pick_its_visibility(tmp_path):
    folder = hidden_folder(
        tmp_path,
        '[[check]]\nname = "secret"\nstep = 2\npart = "server"\nscenario = "secret.toml"\n'
        'needs = ["accept"]\nvisibility = "after_published"\n',
    )
    (check,) = [check for check in add_hidden(load_manifest(), folder).step(2).checks if check.hidden]
    assert (check.name, check.needs, check.visibility, check.points) == ("secret", ("accept",), "after_published", 1.0)


@pytest.mark.parametrize(
    ("checks", "message"),
    [
        ('[[check]]\nname = "start"\npart = "server"\nscenario = "secret.toml"\n', "a name of its own"),
        ('[[check]]\nname = "s"\npart = "server"\nscenario = "nowhere.toml"\n', "cannot read"),
        ('[[check]]\nname = "s"\npart = "server"\nscenario = "start-stop"\n', "must be a .toml file"),
        ('[[check]]\nname = "s"\npart = "robot"\nscenario = "secret.toml"\n', "part must be one of"),
        ('[[check]]\nname = "s"\nstep = 99\npart = "server"\nscenario = "secret.toml"\n', "step must be one of"),
        ('[[check]]\nname = "s"\npart = "server"\nscenario = "secret.toml"\nneeds = ["later"]\n', "no earlier check"),
        ('[[check]]\nname = "s"\npart = "server"\nscenario = "secret.toml"\nvisibility = "visible"\n', "visibility"),
        ("title = 'no checks'\n", "checks.toml: unknown key 'title'; it takes check, format_version"),
        ("check = []\n", "no [[check]] tables"),
        (
            '[[check]]\nname = "s"\npart = "server"\nscenario = "secret.toml"\npts = 3\n',
            "unknown key 'pts' (did you mean 'points'?)",
        ),
        ('[[check]]\nname = "s"\nstep = 1\npart = "both"\nscenario = "secret.toml"\nneeds = ["relay"]\n', "after"),
    ],
)
def test_a_bad_hidden_folder_is_one_clear_error(tmp_path, checks, message):
    with pytest.raises(ManifestError, match=re.escape(message)):
        add_hidden(load_manifest(), hidden_folder(tmp_path, checks))


def test_a_hidden_scenario_with_a_mistake_is_caught_when_loading(tmp_path):
    folder = hidden_folder(tmp_path, '[[check]]\nname = "s"\npart = "server"\nscenario = "secret.toml"\n', "[[step]]\n")
    with pytest.raises(ManifestError, match=r"secret\.toml"):
        add_hidden(load_manifest(), folder)


def hand_built() -> Grade:
    manifest = add_hidden(load_manifest(), HIDDEN)
    start, usage, port_zero, reuse, secret = manifest.step(1).checks
    target = Target("bob", Path("bob"), (start, usage, port_zero, reuse, secret))
    return Grade(
        [
            CheckResult(target, start, Status.PASSED),
            CheckResult(target, usage, Status.FAILED, "usage: status 1, not 2"),
            CheckResult(target, port_zero, Status.PASSED),
            CheckResult(target, reuse, Status.PASSED),
            CheckResult(target, secret, Status.FAILED, "the secret went wrong"),
        ],
        seconds=1.0,
    )


def test_the_report_counts_hidden_checks_but_names_none():
    console = Console(record=True, width=120, color_system=None)
    grade_report.render(hand_built(), console)
    text = console.export_text()
    assert re.search(r"1 hidden check +not shown", text) and "0 of 1 passed" in text and "0 / 2" in text
    assert "port-range" not in text and "secret went wrong" not in text and "A port is a number" not in text
    assert "usage: status 1, not 2" in text  # the visible failure is still shown in full
    assert "bob: 3 of 5 checks, 8 / 12 points" in text


def test_results_json_marks_hidden_checks_with_gradescopes_visibility():
    data = results.gradescope_json(hand_built())
    assert [test["visibility"] for test in data["tests"]] == ["visible"] * 4 + ["hidden"]
    secret = data["tests"][-1]
    assert secret["name"] == "Step 1: port-range" and "the secret went wrong" in secret["output"]  # the instructor's
    assert data["score"] == 8.0 and data["extra_data"]["max_score"] == 12.0
    assert data["output"] == "3 of 5 checks passed, 8 of 12 points (1 hidden check included)"


def test_junit_names_no_hidden_check():
    text = results.junit_xml(hand_built())
    cases = ET.fromstring(text).findall("testsuite/testcase")
    assert [case.get("name") for case in cases] == ["start", "usage", "port-zero", "reuse-address", "hidden check 1"]
    assert cases[-1].find("failure").get("message") == "a hidden check failed"
    assert "port-range" not in text and "secret" not in text


def test_grading_with_hidden_checks_counts_them_and_hides_their_failure(tmp_path):
    folder = tmp_path / "eve"
    folder.mkdir()
    (folder / "cli.py").write_text((ROOT / "reference" / "cli.py").read_text())
    server = (ROOT / "reference" / "srv.py").read_text()
    assert server.count("int(port) <= 65535") == 1
    (folder / "srv.py").write_text(server.replace("int(port) <= 65535", "int(port) <= 99999"))  # 70000: a traceback
    result = grade("--path", folder, "--hidden", HIDDEN, "1", "--json", tmp_path / "results.json")
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(r"1 hidden check +not shown", result.stdout) and "0 of 1 passed" in result.stdout
    assert "port-range" not in result.stdout and "first failure" not in result.stdout
    assert "Total 10 / 12 points" in result.stdout
    tests = json.loads((tmp_path / "results.json").read_text())["tests"]
    assert [(t["name"], t["status"], t["visibility"]) for t in tests][-1] == ("Step 1: port-range", "failed", "hidden")


def test_a_bad_hidden_folder_on_the_command_line_is_status_2(tmp_path):
    for args, message in [
        (["--hidden", tmp_path / "nowhere"], "--hidden: no such folder"),
        (["--hidden", tmp_path, "--path", ROOT / "reference"], "checks.toml"),
    ]:
        result = grade(*args)
        assert result.returncode == 2, args
        assert message in result.stderr and "Traceback" not in result.stderr


def test_one_rule_says_what_a_student_may_see_of_each_result():
    shown = disclosure.for_students(hand_built().results)
    assert [(d.name, d.status, d.detailed) for d in shown] == [
        ("start", Status.PASSED, True),
        ("usage", Status.FAILED, True),
        ("port-zero", Status.PASSED, True),
        ("reuse-address", Status.PASSED, True),
        ("hidden check 1", Status.FAILED, False),
    ]
    assert shown[1].message == "usage: status 1, not 2" and shown[-1].message == ""
    assert disclosure.first_failure(hand_built().results).check.name == "usage"
    assert disclosure.first_failure([hand_built().results[-1]]) is None  # a hidden failure is never shown in detail
