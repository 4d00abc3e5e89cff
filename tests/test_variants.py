"""Correct programs written differently from the reference pass every check.

Each folder under tests/variants/ holds a srv.py and a cli.py that behave exactly as the
protocol says but are built another way (threads, several send() calls, sys.stdout.write,
selectors, ...). A check that fails one of them is too strict: it judges style, not
behaviour.
"""

from pathlib import Path

import pytest

from harness import grading
from harness.manifest import load_manifest

VARIANTS = Path(__file__).resolve().parent / "variants"
FOLDERS = sorted(folder for folder in VARIANTS.iterdir() if (folder / "srv.py").is_file())


def test_there_are_variants():
    assert {folder.name for folder in FOLDERS} >= {
        "threads-server",
        "cursor-up-A",
        "stdout-write",
        "several-sends",
        "restructured",
    }
    for folder in FOLDERS:
        assert (folder / "cli.py").is_file(), folder


@pytest.mark.slow
@pytest.mark.parametrize("folder", FOLDERS, ids=[folder.name for folder in FOLDERS])
def test_variant_passes_every_check(folder):
    manifest = load_manifest()
    grade = grading.grade([grading.folder_target(manifest, folder)])
    assert grade.results, "the manifest has no checks"
    wrong = [f"{r.check.name} ({r.check.part}): {r.status}: {r.message}" for r in grade.results if r.status != "passed"]
    assert not wrong, f"{folder.name} should pass every check:\n" + "\n".join(wrong)
    assert grade.score == grade.max_score
