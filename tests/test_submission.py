"""Where a submission's programs are found: one way for --path, --class, Gradescope and Classroom."""

import csv

import pytest

from harness.grader.submission import SubmissionError, locate
from tests.helpers import grade, reference_submission


def hand_in(folder, *names):
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_text("print('hi')\n")
    return folder


def test_the_programs_at_the_top_of_the_upload_are_taken_first(tmp_path):
    hand_in(tmp_path, "srv.py")
    hand_in(tmp_path / "old", "srv.py", "cli.py")
    assert locate(tmp_path) == tmp_path


def test_a_folder_handed_in_is_looked_into_but_not_a_mac_shadow_or_hidden_folder(tmp_path):
    hand_in(tmp_path / "__MACOSX" / "chat", "srv.py", "cli.py")
    hand_in(tmp_path / ".git", "srv.py")
    hand_in(tmp_path / "chat", "cli.py", "srv.py")
    hand_in(tmp_path / "chat" / "deeper", "srv.py")
    assert locate(tmp_path) == tmp_path / "chat"


def test_two_folders_at_the_same_depth_are_a_question_for_the_student(tmp_path):
    hand_in(tmp_path / "v1", "srv.py", "cli.py")
    hand_in(tmp_path / "v2", "srv.py")
    with pytest.raises(
        SubmissionError, match=r"srv.py or cli.py is in 2 folders of .*: v1 and v2; hand in one"
    ) as raised:
        locate(tmp_path)
    assert raised.value.ambiguous


def test_no_programs_anywhere_is_said_plainly(tmp_path):
    hand_in(tmp_path / "notes", "README.md")
    with pytest.raises(SubmissionError, match=r"no srv\.py or cli\.py in ") as raised:
        locate(tmp_path)
    assert not raised.value.ambiguous


def test_path_grades_the_folder_it_finds_and_refuses_two(tmp_path):
    reference_submission(tmp_path / "upload" / "chat-room")
    done = grade("--path", tmp_path / "upload", "1")
    assert done.returncode == 0 and "10 / 10 points" in done.stdout, done.stdout + done.stderr
    reference_submission(tmp_path / "upload" / "copy")
    done = grade("--path", tmp_path / "upload", "1")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (
        "grade: error: srv.py or cli.py is in 2 folders of upload: chat-room and copy; "
        "hand in one folder (or just the two files)\n"
    )


def test_a_class_finds_each_students_programs_and_notes_a_question(tmp_path):
    reference_submission(tmp_path / "class" / "erin" / "chat-room")
    reference_submission(tmp_path / "class" / "finn" / "a")
    reference_submission(tmp_path / "class" / "finn" / "b")
    out = tmp_path / "out"
    done = grade("--class", tmp_path / "class", "1", "--out", out)
    assert done.returncode == 0, done.stdout + done.stderr
    with (out / "summary.csv").open(newline="") as file:
        rows = {row[0]: row for row in csv.reader(file)}
    assert rows["erin"][1:3] == ["10", "10"] and rows["erin"][-1] == ""
    assert rows["finn"][1] == "0" and rows["finn"][-1].startswith("srv.py or cli.py is in 2 folders of finn: a and b")
