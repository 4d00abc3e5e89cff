"""Where a student is, from saved results of unchanged files: a step is regraded only when
its files or the kit's change."""

from harness.grader import grading, progress
from harness.model import lesson_source
from harness.model.manifest import load_manifest

MANIFEST = load_manifest()


def test_a_step_is_graded_once_then_answered_from_what_was_saved(tmp_path, monkeypatch):
    folder = lesson_source.write_solution(tmp_path / "step1", 1)
    kit = progress.kit_key("all")
    keys = {"step 1": progress.step_key(folder, kit)}
    saved: dict = {}
    progress.remember(saved, grading.grade(grading.step_targets(MANIFEST, [1], tmp_path)), keys)
    states = progress.states(MANIFEST, tmp_path, saved, keys)
    assert states[0].state == "done" and {s.state for s in states[1:]} == {"not started"}
    (folder / "srv.py").write_text((folder / "srv.py").read_text() + "# a change\n")
    assert progress.step_key(folder, kit) not in saved  # a changed file: graded again
    assert progress.kit_key("documented") != kit  # another spec: graded again


def test_a_step_as_the_kit_gives_it_is_untouched(tmp_path):
    folder = lesson_source.write_skeleton(tmp_path / "step3", 3)
    assert progress.untouched(folder, 3)
    (folder / "cli.py").write_text("# mine\n")
    assert not progress.untouched(folder, 3)
