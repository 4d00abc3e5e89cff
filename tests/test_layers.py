"""Two layers of checks: what the documentation's terminals show, and the kit's own rules.

A program written as the documentation shows its programs (unframed sends, recv(1024), the
PORT argument in the start line, a traceback on bad arguments) must get full marks on the
documented layer, and fail each kit rule only in the kit check of its own, which names it."""

import shutil

import pytest

from harness.engine import runner
from harness.grader import grading
from harness.model.manifest import ManifestError, load_manifest
from harness.outputs import results
from tests.helpers import ROOT, plain

MANIFEST = load_manifest()
CHECKS = [check for step in MANIFEST.steps for check in step.checks]
VARIANTS = ROOT / "tests" / "variants"
DOCUMENTED = sorted(folder for folder in VARIANTS.iterdir() if folder.name.startswith("documented-"))


def test_every_check_says_its_layer_and_every_kit_check_its_rule():
    assert {check.layer for check in CHECKS} == {"documented", "kit"}
    assert all(bool(check.rule) == (check.layer == "kit") for check in CHECKS)
    documented = {check.name for check in CHECKS if check.layer == "documented"}
    assert {"start", "accept", "welcome", "relay", "leave", "you", "together"} <= documented
    assert {"usage", "port-zero", "reuse-address", "framing", "ctrl-d", "server-gone", "burst"} <= {
        check.name for check in CHECKS if check.layer == "kit"
    }


def test_no_documented_check_needs_a_kit_check():
    layer = {check.name: check.layer for check in CHECKS}
    for check in CHECKS:
        if check.layer == "documented":
            assert all(layer[need] == "documented" for need in check.needs), check.name


def test_the_documented_spec_grades_the_documented_layer_only():
    documented = MANIFEST.spec("documented")
    names = [check.name for step in documented.steps for check in step.checks]
    assert names == [check.name for check in CHECKS if check.layer == "documented"]
    assert MANIFEST.spec("all") is MANIFEST


def manifest_with(tmp_path, check: str):
    path = tmp_path / "steps.toml"
    path.write_text('format_version = 1\n[[step]]\ntitle = "t"\npart = "server"\n\n' + check)
    return load_manifest(path)


@pytest.mark.parametrize(
    ("check", "message"),
    [
        ('[[step.check]]\nname = "a"\nscenario = "start-stop"\n', "missing key 'layer'"),
        ('[[step.check]]\nname = "a"\nlayer = "spec"\nscenario = "start-stop"\n', "layer must be one of"),
        ('[[step.check]]\nname = "a"\nlayer = "kit"\nscenario = "start-stop"\n', "states its rule"),
        ('[[step.check]]\nname = "a"\nlayer = "documented"\nrule = "r"\nscenario = "start-stop"\n', "states its rule"),
        (
            '[[step.check]]\nname = "k"\nlayer = "kit"\nrule = "r"\nscenario = "usage"\n\n'
            '[[step.check]]\nname = "d"\nlayer = "documented"\nscenario = "start-stop"\nneeds = ["k"]\n',
            "must stand alone",
        ),
    ],
)
def test_a_check_without_its_layer_or_rule_is_refused(tmp_path, check, message):
    with pytest.raises(ManifestError, match=message):
        manifest_with(tmp_path, check)


def complete(folder, workdir):
    target = workdir / folder.name
    target.mkdir()
    for program in ("srv.py", "cli.py"):
        shutil.copy(folder / program, target)
    return target


@pytest.mark.slow
@pytest.mark.parametrize("folder", DOCUMENTED, ids=[folder.name for folder in DOCUMENTED])
def test_a_program_written_as_documented_gets_full_marks_on_the_documented_layer(folder, tmp_path):
    grade = grading.grade([grading.folder_target(MANIFEST.spec("documented"), complete(folder, tmp_path))])
    wrong = [f"{r.check.name}: {r.status}: {r.message}" for r in grade.results if r.status != "passed"]
    assert not wrong, "\n".join(wrong)
    assert grade.score == grade.max_score == sum(c.points for c in CHECKS if c.layer == "documented")


@pytest.mark.slow
@pytest.mark.parametrize("folder", DOCUMENTED, ids=[folder.name for folder in DOCUMENTED])
def test_by_default_it_fails_only_kit_checks_each_naming_its_rule(folder, tmp_path):
    """Up to step 8: the crowds of step 9 wait out their timeouts on unframed lines."""
    grade = grading.grade([grading.folder_target(MANIFEST, complete(folder, tmp_path), up_to=8)])
    failed = [r for r in grade.results if r.status != "passed"]
    assert {r.check.name for r in failed} >= {"usage", "port-zero", "reuse-address", "framing", "client-bytes"}
    assert all(r.check.layer == "kit" and r.status == "failed" for r in failed), [r.check.name for r in failed]
    tests = {test["name"].split(": ", 1)[1]: test for test in results.gradescope_json(grade)["tests"]}
    for result in grade.results:
        test = tests[result.check.name]
        assert test["tags"] == [result.check.layer]
        if result.status == "failed":
            assert f"Kit rule: {result.check.rule}" in plain(test["output"]), test["output"]
    by_name = {r.check.name: r.message for r in failed}
    assert "with no line end after it: the kit's protocol ends each message with \\n" in by_name["framing"]
    assert "SO_REUSEADDR is set on the socket before bind()" in by_name["reuse-address"]


def fixed_port_server(folder, port):
    folder.mkdir()
    source = runner.REFERENCE_SERVER.read_text()
    assert source.count("listener.bind((host, port))") == 1
    (folder / "srv.py").write_text(source.replace("listener.bind((host, port))", f"listener.bind((host, {port}))"))
    shutil.copy(runner.REFERENCE_CLIENT, folder)
    return folder


def test_a_server_on_a_fixed_port_is_told_so_in_every_check_side_by_side(tmp_path):
    """Checks run side by side: whichever gets the fixed port is told it listens there
    instead, and the others that it could not bind a port that was free."""
    folder = fixed_port_server(tmp_path / "fixed", 6900)
    grade = grading.grade([grading.folder_target(MANIFEST, folder, up_to=2)], workers=4)
    by_name = {r.check.name: r for r in grade.results}
    for name in ("start", "accept", "restart"):  # skipped: what it needs found the server could not start
        message = by_name[name].message
        assert by_name[name].status in ("failed", "skipped"), name
        assert "listens on port 6900 instead" in message or "a fixed one?" in message, message
    assert by_name["start"].status == "failed"


def test_the_gradescope_and_classroom_runners_pass_the_spec_on():
    from harness.platforms import classroom, gradescope

    assert "-m harness.platforms.autograder --spec documented " in gradescope.scripts("documented")["run_autograder"]
    assert "--spec" not in gradescope.scripts()["run_autograder"]
    assert "python -m harness.grade --spec documented --path ../submission" in classroom.workflow(spec="documented")
    assert "--spec" not in classroom.workflow()
