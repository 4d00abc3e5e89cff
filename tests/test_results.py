"""Results files: Gradescope's results.json and JUnit XML, from grades built by hand (no programs run)."""

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from harness.grader.grading import CheckResult, Grade, Target
from harness.model.manifest import Check
from harness.model.outcome import Status
from harness.outputs import results
from tests.helpers import plain

WELCOME = Check("welcome", 1, "welcome", "server", 10.0, "Send the banner first.", ())
JOINS = Check("joins", 1, "joins", "server", 5.0, "", ("welcome",))
RELAY = Check("relay", 2, "relay", "both", 2.5, "Relay every line to the others.", ("joins",))
CHECKS = (WELCOME, JOINS, RELAY)
STEP2 = Target("step 2", Path("lessons/step2"), CHECKS)
PROBLEM = "the screen never showed « café ☕ \ufffd » [scenario step 3: expect welcome]"


def all_passing() -> Grade:
    return Grade([CheckResult(STEP2, check, Status.PASSED, seconds=0.25) for check in CHECKS], seconds=3.2)


def one_failed_one_skipped() -> Grade:
    return Grade(
        [
            CheckResult(STEP2, WELCOME, Status.PASSED, seconds=0.5),
            CheckResult(STEP2, JOINS, Status.FAILED, PROBLEM, seconds=1.25),
            CheckResult(STEP2, RELAY, Status.SKIPPED, "needs joins, which did not pass"),
        ],
        seconds=2.0,
    )


def test_gradescope_fields_and_types_for_a_passing_grade():
    data = results.gradescope_json(all_passing())
    assert set(data) == {"score", "extra_data", "execution_time", "output", "visibility", "stdout_visibility", "tests"}
    assert isinstance(data["score"], float) and data["score"] == 17.5
    assert isinstance(data["extra_data"]["max_score"], float) and data["extra_data"]["max_score"] == 17.5
    assert data["execution_time"] == 4 and isinstance(data["execution_time"], int)
    assert data["output"] == "3 of 3 checks passed, 17.5 of 17.5 points"
    assert "\n" not in data["output"]
    assert data["visibility"] == data["stdout_visibility"] == "visible"
    assert [test["name"] for test in data["tests"]] == ["Step 1: welcome", "Step 1: joins", "Step 2: relay"]
    assert [test["number"] for test in data["tests"]] == ["1.1", "1.2", "2.1"]
    for test, check in zip(data["tests"], CHECKS, strict=True):
        assert set(test) == {
            "name",
            "number",
            "score",
            "max_score",
            "status",
            "output",
            "output_format",
            "visibility",
            "tags",
        }
        assert isinstance(test["score"], float) and isinstance(test["max_score"], float)
        assert test["score"] == test["max_score"] == check.points
        assert test["status"] == "passed"
        assert test["output"] == "Passed."
        assert test["visibility"] == "visible"


def test_gradescope_failed_and_skipped_checks():
    data = results.gradescope_json(one_failed_one_skipped())
    assert data["score"] == 10.0 and data["extra_data"]["max_score"] == 17.5
    assert data["execution_time"] == 2
    assert data["output"] == "1 of 3 checks passed, 10 of 17.5 points"
    passed, failed, skipped = data["tests"]
    assert passed["status"] == "passed" and passed["score"] == 10.0
    assert failed["status"] == "failed" and failed["score"] == 0.0 and failed["max_score"] == 5.0
    assert failed["output"] == PROBLEM  # joins has no hint, so nothing after the message
    assert skipped["status"] == "failed" and skipped["score"] == 0.0 and skipped["max_score"] == 2.5
    assert skipped["output"] == "Skipped: needs joins, which did not pass"
    assert {test["status"] for test in data["tests"]} <= {"passed", "failed"}


def test_a_failed_check_shows_its_message_then_its_hint():
    grade = Grade([CheckResult(STEP2, WELCOME, Status.FAILED, "no banner")], seconds=0.0)
    (test,) = results.gradescope_json(grade)["tests"]
    assert plain(test["output"]) == "no banner\n\nHint: Send the banner first."
    assert test["output_format"] == "ansi"
    assert results.gradescope_json(grade)["execution_time"] == 0


def test_several_targets_are_named_and_numbered_each_on_its_own():
    step1 = Target("step 1", Path("lessons/step1"), (WELCOME, JOINS))
    grade = Grade(
        [CheckResult(step1, WELCOME, Status.PASSED), CheckResult(step1, JOINS, Status.PASSED), *all_passing().results],
        seconds=1.0,
    )
    tests = results.gradescope_json(grade)["tests"]
    assert tests[0]["name"] == "[step 1] Step 1: welcome"
    assert tests[4]["name"] == "[step 2] Step 2: relay"
    assert [test["number"] for test in tests] == ["1.1", "1.2", "1.1", "1.2", "2.1"]
    suites = ET.fromstring(results.junit_xml(grade)).findall("testsuite")
    assert [(suite.get("name"), suite.get("tests")) for suite in suites] == [("step 1", "2"), ("step 2", "3")]


def test_json_round_trips_as_utf8(tmp_path):
    grade = one_failed_one_skipped()
    path = tmp_path / "results.json"
    results.write_json(grade, path)
    raw = path.read_bytes()
    assert "café ☕".encode() in raw  # written as UTF-8, not \u escapes
    assert raw.endswith(b"}\n")
    assert json.loads(raw.decode("utf-8")) == results.gradescope_json(grade)


def test_writing_makes_folders_that_do_not_exist_yet(tmp_path):
    json_path = tmp_path / "autograder" / "results" / "results.json"
    xml_path = tmp_path / "reports" / "junit" / "grade.xml"
    results.write_json(all_passing(), json_path)
    results.write_junit(all_passing(), xml_path)
    assert json.loads(json_path.read_text(encoding="utf-8"))["score"] == 17.5
    assert ET.parse(xml_path).getroot().get("tests") == "3"


def test_junit_xml_counts_and_elements(tmp_path):
    text = results.junit_xml(one_failed_one_skipped())
    assert text.startswith("<?xml")
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("skipped"), root.get("time")) == ("3", "1", "1", "2.000")
    (suite,) = root.findall("testsuite")
    assert (suite.get("name"), suite.get("tests"), suite.get("failures"), suite.get("skipped")) == (
        "step 2",
        "3",
        "1",
        "1",
    )
    assert suite.get("time") == "1.750"
    cases = suite.findall("testcase")
    assert [(case.get("classname"), case.get("name"), case.get("time")) for case in cases] == [
        ("step.2", "welcome", "0.500"),
        ("step.2", "joins", "1.250"),
        ("step.2", "relay", "0.000"),
    ]
    assert list(cases[0]) == []
    (failure,) = list(cases[1])
    assert failure.tag == "failure" and failure.get("message") == PROBLEM and failure.text == PROBLEM
    (skipped,) = list(cases[2])
    assert skipped.tag == "skipped" and skipped.get("message") == "needs joins, which did not pass"
    path = tmp_path / "junit.xml"
    results.write_junit(one_failed_one_skipped(), path)
    assert ET.parse(path).getroot().find("testsuite/testcase/failure").get("message") == PROBLEM


def test_junit_failure_text_has_the_hint_and_survives_terminal_control_characters():
    grade = Grade([CheckResult(STEP2, WELCOME, Status.FAILED, "saw \x1b[31mred\x1b[0m")], seconds=0.1)
    root = ET.fromstring(results.junit_xml(grade))
    failure = root.find("testsuite/testcase/failure")
    assert failure.get("message") == "saw \\x1b[31mred\\x1b[0m"
    assert failure.text == "saw \\x1b[31mred\\x1b[0m\n\nHint: Send the banner first."
    assert ET.fromstring(results.junit_xml(all_passing())).find(".//failure") is None


def test_a_status_is_one_of_three_and_written_in_each_formats_own_words():
    assert CheckResult(STEP2, WELCOME, "skipped").status is Status.SKIPPED  # text is taken as the enum
    assert [test["status"] for test in results.gradescope_json(one_failed_one_skipped())["tests"]] == [
        "passed",
        "failed",
        "failed",  # Gradescope has no "skipped"
    ]
    assert type(results.gradescope_json(all_passing())["tests"][0]["status"]) is str  # not the enum
