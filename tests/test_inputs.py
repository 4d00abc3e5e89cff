"""The kit's input files are checked by one checker (harness/model/schema.py): a mistake is one line
naming the file, the table and the key, with the key it most likely meant; never a traceback,
never a value silently dropped."""

import pytest

from harness.grader.catalogue import load_catalogue
from harness.model.manifest import ManifestError, load_manifest
from harness.model.scenario import ScenarioError, from_table
from harness.model.schema import InputError
from tests.helpers import ROOT, grade

CHECK = 'name = "start"\nlayer = "documented"\nscenario = "start-stop"\n'


def manifest(tmp_path, text):
    path = tmp_path / "steps.toml"
    path.write_text(text)
    return load_manifest(path)


def step(check_lines: str = "", step_lines: str = 'title = "Listen"\n', table: str = "[[step.check]]") -> str:
    return f'format_version = 1\n\n[[step]]\n{step_lines}part = "server"\n\n{table}\n{CHECK}{check_lines}'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (step(step_lines='titel = "Listen"\n'), "steps.toml: [[step]] 1: unknown key 'titel' (did you mean 'title'?)"),
        (
            step("pionts = 5\n"),
            "steps.toml: [[step]] 1: [[step.check]] 1: unknown key 'pionts' (did you mean 'points'?)",
        ),
        (step('hnt = "bind first"\n'), "[[step.check]] 1: unknown key 'hnt' (did you mean 'hint'?)"),
        (step("points = -2\n"), "[[step.check]] 1: points must be a number from 0 up, not -2"),
        (step('points = "four"\n'), "[[step.check]] 1: points must be a number from 0 up, not 'four'"),
        (step(table="[[step.chek]]"), "steps.toml: [[step]] 1: unknown key 'chek' (did you mean 'check'?)"),
        (step().replace("format_version = 1\n", ""), "steps.toml: missing key 'format_version'"),
        (step().replace("format_version = 1", "format_version = 2"), "format_version 2 is newer than this grader"),
    ],
)
def test_a_manifest_mistake_is_one_line_naming_file_table_and_key(tmp_path, text, message):
    with pytest.raises(ManifestError) as raised:
        manifest(tmp_path, text)
    assert message in str(raised.value) and "\n" not in str(raised.value)


def test_the_kits_own_files_pass_the_checker():
    assert load_manifest().steps and len(load_catalogue()) >= 25


def test_a_hidden_checks_mistake_ends_grade_with_one_line_and_status_2(tmp_path):
    (tmp_path / "checks.toml").write_text(
        'format_version = 1\n[[check]]\nname = "s"\nlayer = "documented"\nscenario = "s.toml"\npts = 3\n'
    )
    done = grade("--hidden", tmp_path, "--path", ROOT / "reference", "1")
    assert done.returncode == 2 and done.stdout == "" and "Traceback" not in done.stderr
    assert done.stderr == (
        f"grade: error: {tmp_path / 'checks.toml'}: [[check]] 1: unknown key 'pts' (did you mean 'points'?)\n"
    )


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"stpe": []}, "unknown key 'stpe' (did you mean 'step'?)"),
        ({"crowd": {"users": 3, "mesages": 2}}, "[crowd]: unknown key 'mesages' (did you mean 'messages'?)"),
        ({"crowd": {"users": -3, "messages": 2}}, "[crowd]: users must be a whole number from 0 up, not -3"),
        ({"crowd": {"messages": 2}}, "[crowd]: missing key 'users'"),
        ({"timeout": "long", "step": []}, "timeout must be a number, not 'long'"),
    ],
)
def test_a_scenario_mistake_is_said_the_same_way(table, message):
    with pytest.raises(ScenarioError) as raised:
        from_table(table)
    assert message in str(raised.value)


def test_a_catalogue_mistake_is_said_the_same_way(tmp_path):
    path = tmp_path / "catalogue.toml"
    path.write_text('[[mutant]]\nname = "m"\nprogram = "srv.py"\ndescripton = "d"\n')
    with pytest.raises(InputError, match=r"catalogue\.toml: \[\[mutant\]\] 1: unknown key 'descripton'"):
        load_catalogue(path)
