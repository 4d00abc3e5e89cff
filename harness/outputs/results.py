"""A grade written out for the systems that collect it.

Gradescope reads an autograder's results from results.json, in its own format; CI
systems (GitHub Actions, GitLab, Jenkins) read JUnit XML. Both come from the same
`Grade`, one test per check, in the manifest's order.
"""

import json
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from harness.grader.grading import CheckResult, Grade
from harness.model.outcome import Status
from harness.outputs import disclosure
from harness.outputs.grade_report import SCREEN_TAIL, advice

# Gradescope's test statuses: it has no "skipped", so a skipped check is a failed test with no points.
GRADESCOPE_STATUS = {Status.PASSED: "passed", Status.FAILED: "failed", Status.SKIPPED: "failed"}
# Characters XML 1.0 cannot hold at all, not even escaped; terminal output has some (ESC).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _points(value: float) -> str:
    return f"{value:g}"


def _summary(grade: Grade) -> str:
    """One line: how many checks passed and how many points they earned."""
    passed = sum(result.status is Status.PASSED for result in grade.results)
    hidden = sum(not shown.detailed for shown in disclosure.for_students(grade.results))
    return (
        f"{passed} of {len(grade.results)} checks passed, {_points(grade.score)} of {_points(grade.max_score)} points"
        + (f" ({hidden} hidden check{'s' if hidden > 1 else ''} included)" if hidden else "")
    )


def explanation(result: CheckResult, ansi: bool = False) -> str:
    """What a student reads about one check, as the console's failure panel says it: why it
    failed, the end of that terminal's screen, the mistake it looks like, the kit's rule,
    the hint and the replay command; why it was skipped; or that it passed. ansi: labels in
    bold (Gradescope's "ansi" output format)."""
    if result.status is Status.PASSED:
        return "Passed."
    if result.status is Status.SKIPPED:
        return f"Skipped: {result.message}"
    bold, plain = ("\x1b[1m", "\x1b[0m") if ansi else ("", "")
    parts = [result.message]
    failure = result.failure
    screen = result.outcome.screens.get(failure.member, []) if result.outcome and failure else []
    if failure is not None and screen:  # a screen is a failure's
        parts.append(f"{bold}{failure.member}'s screen:{plain}\n" + "\n".join(screen[-SCREEN_TAIL:]))
    parts += [f"{bold}{label.capitalize()}:{plain} {text}" for label, text in advice(result)]
    return "\n\n".join(part for part in parts if part)


def test_name(result: CheckResult, several_targets: bool = False) -> str:
    """A check's name as a test: "Step 2: relay", "[alice] Step 2: relay" when several folders are graded."""
    name = f"Step {result.check.step}: {result.check.name}"
    return f"[{result.target.label}] {name}" if several_targets else name


def gradescope_json(grade: Grade) -> dict:
    """The grade in Gradescope's results.json format (its "autograder specifications").

    A skipped check is a failed test with no points: Gradescope has no "skipped". Every test
    is written in full, for the instructor; one the student may not see (disclosure) carries
    its check's visibility, and Gradescope shows it to the student only when that says.
    """
    several_targets = len(grade.by_target()) > 1
    within_step: dict[tuple[str, int], int] = {}
    tests = []
    for shown in disclosure.for_students(grade.results):
        result, check = shown.result, shown.result.check
        key = (result.target.label, check.step)
        within_step[key] = within_step.get(key, 0) + 1
        tests.append(
            {
                "name": test_name(result, several_targets),
                "number": f"{check.step}.{within_step[key]}",
                "score": float(result.score),
                "max_score": float(check.points),
                "status": GRADESCOPE_STATUS[result.status],
                "output": explanation(result, ansi=True),
                "output_format": "ansi",
                "visibility": "visible" if shown.detailed else check.visibility,  # Gradescope hides the rest
                "tags": [check.layer],
            }
        )
    return {
        "score": float(grade.score),
        "extra_data": {"max_score": float(grade.max_score)},  # Gradescope defines no top-level max_score
        "execution_time": max(0, math.ceil(grade.seconds)),
        "output": _summary(grade),
        "visibility": "visible",
        "stdout_visibility": "visible",
        "tests": tests,
    }


def write_json(grade: Grade, path: Path) -> None:
    """Write Gradescope's results.json (UTF-8), making its folder if need be."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(gradescope_json(grade), indent=2, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def junit_xml(grade: Grade) -> str:
    """The grade as JUnit XML: one <testsuite> per target, one <testcase> per check."""
    root = ET.Element("testsuites")
    for label, results in grade.by_target().items():
        suite = ET.SubElement(root, "testsuite", name=_xml_text(label))
        for shown in disclosure.for_students(results):  # CI pages are often the student's
            result, name = shown.result, shown.name
            message = shown.message if shown.detailed else f"a hidden check {result.status}"
            explained = explanation(result) if shown.detailed else ""
            case = ET.SubElement(
                suite,
                "testcase",
                classname=_xml_text(label.replace(" ", ".")),
                name=_xml_text(name),
                time=f"{result.seconds:.3f}",
            )
            if result.status is Status.FAILED:
                failure = ET.SubElement(case, "failure", message=_xml_text(message))
                failure.text = _xml_text(explained) or None
            elif result.status is Status.SKIPPED:
                ET.SubElement(case, "skipped", message=_xml_text(message))
        _count(suite, results, sum(result.seconds for result in results))
    _count(root, grade.results, grade.seconds)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _count(element: ET.Element, results: list[CheckResult], seconds: float) -> None:
    element.set("tests", str(len(results)))
    element.set("failures", str(sum(result.status is Status.FAILED for result in results)))
    element.set("skipped", str(sum(result.status is Status.SKIPPED for result in results)))
    element.set("time", f"{seconds:.3f}")


def write_junit(grade: Grade, path: Path) -> None:
    """Write the JUnit XML (UTF-8), making its folder if need be."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(junit_xml(grade), encoding="utf-8")
