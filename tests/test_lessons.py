"""lessons/ and reference/ are exactly what the generator makes from lessons/source/."""

import ast
import difflib
import re

import pytest

from harness.authoring import lessons
from harness.model import lesson_source
from harness.model.lesson_source import TODO_PREFIX, LessonSourceError, parse, render
from harness.model.manifest import load_manifest

MANIFEST = load_manifest()
GENERATED = lessons.generate(MANIFEST)
SOURCES = lesson_source.sources()
STEPS = [step.number for step in MANIFEST.steps]


def test_lessons_and_reference_match_the_generator():
    stale = lessons.differences(GENERATED)
    assert not stale, f"run `nox -s lessons`: {stale}"


@pytest.mark.parametrize("step", STEPS)
def test_every_step_has_todos_only_its_own_and_compiles(step):
    todos = []
    for name in lesson_source.PROGRAMS:
        text = GENERATED.files[lessons.Path("lessons") / f"step{step}" / name]
        ast.parse(text, filename=f"step{step}/{name}")
        todos += re.findall(rf"{TODO_PREFIX} (\d+):", text)
    assert todos, f"step {step} asks the student for nothing"
    assert set(todos) == {str(step)}


@pytest.mark.parametrize("step", STEPS[:-1])
def test_each_step_starts_from_the_finished_previous_step(step):
    """Step N+1's files, less their TODO lines, are step N's solution, but for the code that
    step N+1 brings (given) or retires (a simpler version it does not keep as a starting
    point), and for a file that step N+1 is the first to teach."""
    for name, blocks in SOURCES.items():
        if step + 1 == min(lesson_source.steps_in(blocks)):
            continue  # the first step of a file starts that file from its skeleton
        following = lesson_source.program(blocks, step + 1, solved=False).splitlines()
        brought = [
            b
            for b in blocks
            if (b.kind == "given" and b.step == step + 1) or (b.kind == "before" and b.since == step + 1)
        ]
        given = {line for b in brought for line in b.lines}
        retired = {
            line
            for index, b in enumerate(blocks)
            if b.kind == "before" and b.step == step + 1 and b.since <= step and not _replaced_in_place(blocks, index)
            for line in b.lines
        }
        solution = lesson_source.program(blocks, step, solved=True).splitlines()
        changes = difflib.SequenceMatcher(a=solution, b=following, autojunk=False).get_opcodes()
        for tag, i1, i2, j1, j2 in changes:
            added = [line for line in following[j1:j2] if TODO_PREFIX not in line and line + "\n" not in given]
            removed = [line for line in solution[i1:i2] if line + "\n" not in retired]
            assert tag == "equal" or not (added or removed), (
                f"{name}: step {step + 1} does not start from step {step}'s solution: "
                f"adds {added[:3]}, removes {removed[:3]}"
            )


def _replaced_in_place(blocks, index):
    """A simpler version right after its step's block stays, under the TODO, in that step."""
    before = [b for b in blocks[:index] if b.kind != "plain" or any(line.strip() for line in b.lines)]
    return bool(before) and before[-1].kind == "step" and before[-1].step == blocks[index].step


def test_the_reference_is_the_master_with_every_step_solved():
    for name, blocks in SOURCES.items():
        last = max(lesson_source.steps_in(blocks))
        assert render(blocks, last, solved=True) == GENERATED.files[lessons.Path("reference") / name]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("#@ step 1\nx = 1\n", "'#@ step 1' is never closed"),
        ("#@ end\n", "'#@ end' with no open block"),
        ("#@ step 1\n#@ step 2\n", "'#@ step' inside an open '#@ step' block"),
        ("#@ step 1\n#@ end\n", "empty '#@ step 1' block"),
        ("#@ todo write it\n", "'#@ todo' belongs at the top of a '#@ step' block"),
        ("#@ step x\n", "needs a step number"),
        ("#@ given 2 from 1\n", "needs a step number"),
        ("#@ frobnicate\n", "unknown marker '#@ frobnicate'"),
    ],
)
def test_unbalanced_or_unknown_markers_are_refused_with_the_line(source, message):
    with pytest.raises(LessonSourceError, match=re.escape(message)):
        parse(source, "master.py")


def test_adjacent_blocks_of_one_step_make_one_todo():
    blocks = parse(
        "def f():\n#@ step 1\n#@ todo loop\n    while True:\n#@ end\n#@ step 2\n        g()\n#@ end\n"
        "#@ step 1\n        h()\n#@ end\n"
    )
    skeleton = render(blocks, 1, solved=False)
    assert skeleton == "def f():\n    # TODO step 1: loop\n    pass  # TODO step 1: replace this line\n"
    assert render(blocks, 1, solved=True) == "def f():\n    while True:\n        h()\n"
    assert render(blocks, 2, solved=True) == "def f():\n    while True:\n        g()\n        h()\n"


def test_a_simpler_version_is_the_starting_point_of_the_step_that_replaces_it():
    blocks = parse("#@ step 3\n#@ todo do it well\ngood()\n#@ end\n#@ before 3\nnaive()\n#@ end\n")
    assert render(blocks, 2, solved=True) == "naive()\n"
    assert render(blocks, 3, solved=False) == (
        "# TODO step 3: do it well\n# TODO step 3: replace the code below.\nnaive()\n"
    )
    assert render(blocks, 3, solved=True) == "good()\n"


@pytest.mark.parametrize("step", STEPS)
def test_every_function_a_readme_names_is_in_that_steps_files(step):
    folder = lessons.Path("lessons") / f"step{step}"
    named = re.findall(r"^- `(\w+\.py)`, in `([\w.]+)`", GENERATED.files[folder / "README.md"], re.MULTILINE)
    assert named, f"step {step}'s README names no place to write"
    for program, place in named:
        if place == "the top of the file":
            continue
        tree = ast.parse(GENERATED.files[folder / program])
        defined = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.ClassDef)}
        assert place.split(".")[-1] in defined, f"step {step}: its README names {place} in {program}, which has none"


def kit_copy(tmp_path):
    """The generated files as a fresh clone has them, in a folder of their own."""
    lessons.write(GENERATED, root=tmp_path)
    return tmp_path


def test_writing_the_lessons_never_overwrites_a_students_work(tmp_path):
    root = kit_copy(tmp_path)
    solution = root / "lessons" / "step1" / "srv.py"
    solution.write_text(lesson_source.program(SOURCES["srv.py"], 1, solved=True))
    with pytest.raises(lessons.StudentsWork) as refused:
        lessons.write(GENERATED, root=root)
    assert refused.value.paths == [lessons.Path("lessons/step1/srv.py")]
    assert solution.read_text() == lesson_source.program(SOURCES["srv.py"], 1, solved=True)
    assert not lessons.differences(GENERATED, root)  # the drift check does not read the student's files


def test_a_reset_step_starts_afresh_and_keeps_the_students_version_beside(tmp_path):
    root = kit_copy(tmp_path)
    mine = root / "lessons" / "step2" / "srv.py"
    mine.write_text("# my own server\n")
    lessons.write(GENERATED, root=root, reset={2})
    assert mine.read_text() == GENERATED.files[lessons.Path("lessons/step2/srv.py")]
    assert (mine.parent / "srv.py.mine").read_text() == "# my own server\n"


def test_a_file_the_kit_changed_but_the_student_did_not_is_updated(tmp_path):
    root = kit_copy(tmp_path)
    old = lessons.Path("lessons/step3/cli.py")
    (root / old).write_text("# an older skeleton\n")
    record = lessons.json.loads((root / "lessons" / "pristine.json").read_text())
    record[old.as_posix()] = lessons.digest("# an older skeleton\n")  # what the kit gave then
    (root / "lessons" / "pristine.json").write_text(lessons.json.dumps(record))
    assert lessons.Path("lessons/step3/cli.py") in lessons.write(GENERATED, root=root)
    assert (root / old).read_text() == GENERATED.files[old]
