"""Where a submission's programs are: the one way `grade --path`, `grade --class`, the
Gradescope autograder and the GitHub Classroom workflow find them.

Students upload the two files, or the folder that holds them, or a zip made on a Mac (with
its __MACOSX shadow folder). The programs are taken from the shallowest folder holding
srv.py or cli.py, the upload itself first; hidden folders (.git, .venv) and __MACOSX are
not looked in. Two such folders at the same depth are a question only the student can
answer, so that is said, not guessed.
"""

from pathlib import Path

PROGRAMS = ("srv.py", "cli.py")
SKIPPED = "__MACOSX"
DEEPEST = 8  # folders below the upload that are looked in, at most


class SubmissionError(Exception):
    """No programs anywhere, or in two places at once (ambiguous); the message says which."""

    def __init__(self, message: str, ambiguous: bool = False) -> None:
        super().__init__(message)
        self.ambiguous = ambiguous


def submissions(class_folder: Path) -> list[Path]:
    """A class's submissions: every subfolder, by name; not hidden ones such as .git."""
    return sorted(path for path in class_folder.iterdir() if path.is_dir() and not path.name.startswith("."))


def locate(upload: Path) -> Path:
    """The folder whose srv.py and cli.py are graded (see the module's docstring)."""
    level = [upload]
    for _ in range(DEEPEST + 1):
        holding = [folder for folder in level if any((folder / name).is_file() for name in PROGRAMS)]
        if len(holding) == 1:
            return holding[0]
        if holding:
            shown = " and ".join(str(folder.relative_to(upload)) for folder in holding[:3])
            raise SubmissionError(
                f"srv.py or cli.py is in {len(holding)} folders of {upload.name or upload}: {shown}; "
                "hand in one folder (or just the two files)",
                ambiguous=True,
            )
        level = [child for folder in level for child in _folders(folder)]
        if not level:
            break
    raise SubmissionError(f"no srv.py or cli.py in {upload.name or upload}: hand in the two files, named exactly so")


def _folders(folder: Path) -> list[Path]:
    try:
        children = sorted(folder.iterdir())
    except OSError:
        return []
    return [
        child
        for child in children
        if child.is_dir() and not child.is_symlink() and not child.name.startswith(".") and child.name != SKIPPED
    ]
