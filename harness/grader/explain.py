"""A failure as the student can act on it: their own paths, and a crash said as a crash.

A graded check runs copies of the programs in a temporary folder (harness/system/containment.py),
so what a program printed names paths the student has never seen. These name the files
where the student keeps them. A program that crashed is reported by its exception's last
line and the line of the student's file where it happened.
"""

import os
import re
from pathlib import Path

from harness.engine import runner
from harness.model import kit
from harness.model.outcome import Crash
from harness.system import containment

EXCEPTION = re.compile(r"^[\w.]*(Error|Exception|Exit|Interrupt)\b")  # an exception's last line
COPY = re.compile(rf"[^\s\"']*/{re.escape(containment.WORKDIR_PREFIX)}[^/\s\"']+/([^/\s\"']+)/")
FILE_LINE = re.compile(r'^\s*File "(?P<path>[^"]+)", line (?P<line>\d+)')


def shown_path(path: Path) -> str:
    """A path relative to where the student is, when it is below it."""
    absolute = Path(os.path.abspath(path))  # not resolved: a venv's python is a link to keep
    try:
        return str(absolute.relative_to(Path.cwd()))
    except ValueError:
        return str(absolute)


def as_the_student_knows_it(text: str, folder: Path) -> str:
    """Text with each check's copy of a folder named as the original: the student's folder,
    or the kit's partners and reference."""
    originals = {folder.name: folder, kit.PARTNERS.name: kit.PARTNERS, runner.REFERENCE.name: runner.REFERENCE}

    def original(match: re.Match) -> str:
        known = originals.get(match.group(1))
        return f"{shown_path(known)}/" if known is not None else match.group(0)

    return COPY.sub(original, text)


def crash(lines: list[str], program: str) -> Crash | None:
    """The exception a screen's program died of, and the line of the student's file where
    (paths already as the student knows them: see as_the_student_knows_it), or None.
    A SyntaxError comes without a "Traceback" line; its place is the one given all the same."""
    places = [(row, found) for row, line in enumerate(lines) if (found := FILE_LINE.match(line))]
    if not places:
        return None
    exception = next((line.strip() for line in lines[places[-1][0] + 1 :] if EXCEPTION.match(line)), None)
    if exception is None:
        return None
    ours = [found for _, found in places if f"/{kit.PARTNERS.name}/" not in found["path"]]
    place = (ours or [found for _, found in places])[-1]
    return Crash(program, exception, place["path"], int(place["line"]))
