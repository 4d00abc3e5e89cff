"""The lessons and the reference, generated from one master source with step markers.

lessons/source/srv.py and cli.py are the finished programs with their code marked:

    #@ step 3         written by the student in step 3: a TODO there, absent before, given after
    #@ step 2 until 9 the same, until step 9 rewrites it: in step 9 it is the code that step's
                      TODO replaces (right after a `step 9` block), and from then on absent
    #@ todo TEXT      (inside a step block) what the TODO asks for
    #@ given 2        given complete from step 2 on, absent before
    #@ before 5       a simpler version used before step 5; right after a `step 5` block it
                      stays in step 5's skeleton, as the code the student replaces;
                      `#@ before 5 from 2`: only from step 2 on (inside code given at step 2)
    #@ end

Adjacent blocks of one step (with only later steps' blocks between them) form one TODO.
A file none of whose blocks has been reached yet is given as the finished reference, so
every step folder runs on its own. reference/ is the master with every step solved.

    python -m harness.lessons          write lessons/stepN/ and reference/
    python -m harness.lessons --check  exit 1 if any of them differs from what it would write
"""

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from harness.manifest import LESSONS, Manifest, load_manifest

ROOT = LESSONS.parent
SOURCE = LESSONS / "source"
REFERENCE_DIR = ROOT / "reference"
PROGRAMS = ("srv.py", "cli.py")
DIRECTIVE = re.compile(r"^(?P<indent>\s*)#@ ?(?P<word>\w*)(?: (?P<rest>.*))?$")
TODO_PREFIX = "# TODO step"


class LessonSourceError(Exception):
    """A master source whose markers do not make sense; the message says where."""


@dataclass
class Block:
    kind: str  # "plain", "step", "given" or "before"
    step: int = 0
    since: int = 1  # a before block's first step
    until: int = 0  # a step block's last step, when a later step rewrites it (0: none)
    lines: list[str] = field(default_factory=list)
    todo: list[str] = field(default_factory=list)
    within: str = ""  # the def or class the block is written in (or defines), for the README
    within_own: bool = False


def parse(text: str, name: str = "source") -> list[Block]:
    blocks, current, within = [Block("plain")], None, ""
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        found = DIRECTIVE.match(line.rstrip("\n"))
        if not found:
            (current or blocks[-1]).lines.append(line)
            definition = re.match(r"\s*(?:def|class) (\w+)", line)
            if definition:
                within = definition[1]
                if current is not None and not current.within_own:
                    current.within, current.within_own = within, True  # the block defines it
            continue
        word, rest = found["word"], (found["rest"] or "").strip()
        where = f"{name}:{number}"
        if word in ("step", "given", "before"):
            if current is not None:
                raise LessonSourceError(f"{where}: '#@ {word}' inside an open '#@ {current.kind}' block")
            numbers = re.fullmatch(r"([1-9][0-9]*)(?: (from|until) ([1-9][0-9]*))?", rest)
            if not numbers or (numbers[2] == "from" and word != "before") or (numbers[2] == "until" and word != "step"):
                raise LessonSourceError(f"{where}: '#@ {word}' needs a step number, got {rest!r}")
            if numbers[2] == "until" and int(numbers[3]) <= int(numbers[1]):
                raise LessonSourceError(f"{where}: '#@ step {numbers[1]} until {numbers[3]}' ends before it starts")
            since = int(numbers[3]) if numbers[2] == "from" else 1
            until = int(numbers[3]) if numbers[2] == "until" else 0
            current = Block(word, int(numbers[1]), since, until, within=within)
        elif word == "end":
            if current is None:
                raise LessonSourceError(f"{where}: '#@ end' with no open block")
            if not any(line.strip() for line in current.lines):
                raise LessonSourceError(f"{where}: empty '#@ {current.kind} {current.step}' block")
            blocks += [current, Block("plain")]
            current = None
        elif word == "todo":
            if current is None or current.kind != "step" or current.lines:
                raise LessonSourceError(f"{where}: '#@ todo' belongs at the top of a '#@ step' block")
            current.todo.append(rest)
        else:
            raise LessonSourceError(f"{where}: unknown marker '#@ {word}'")
    if current is not None:
        raise LessonSourceError(f"{name}: '#@ {current.kind} {current.step}' is never closed with '#@ end'")
    return blocks


def render(blocks: list[Block], step: int, solved: bool) -> str:
    """The file as step `step` hands it out (solved=False) or as its solution (solved=True)."""
    out: list[str] = []
    open_todo = 0  # the step whose TODO was the last thing written, to merge adjacent blocks
    for index, block in enumerate(blocks):
        if block.kind == "plain" or (block.kind == "given" and step >= block.step):
            out += block.lines
            open_todo = 0 if any(line.strip() for line in block.lines) else open_todo
        elif _shown(block, step, solved, open_todo):
            out += block.lines
            open_todo = 0
        elif block.kind == "step" and block.step == step and open_todo != step:
            out += _todo(block, replaced=_next_is_before(blocks, index))
            open_todo = step
    return "".join(out)


def _shown(block: Block, step: int, solved: bool, open_todo: int) -> bool:
    """Whether a step or before block is written as code in this step's file."""
    if block.kind == "before":  # until its step, and in it as the code its TODO replaces
        return block.since <= step and (step < block.step or open_todo == step)
    if block.kind == "step" and block.until and step >= block.until:  # rewritten by a later step
        return step == block.until and open_todo == step
    return block.kind == "step" and (block.step < step or (block.step == step and solved))


def _next_is_before(blocks: list[Block], index: int) -> bool:
    """Whether the block after this step's block is the code its TODO replaces."""
    after = blocks[index + 1 : index + 3]  # the plain gap between two blocks, then the block
    step = blocks[index].step
    return any((b.kind == "before" and b.step == step) or (b.kind == "step" and b.until == step) for b in after)


def _todo(block: Block, replaced: bool) -> list[str]:
    indent = re.match(r"\s*", next(line for line in block.lines if line.strip())).group(0)
    lines = [f"{indent}{TODO_PREFIX} {block.step}: {text}\n" for text in block.todo or ["write this part"]]
    if replaced:  # the simpler code that follows is the starting point
        return [*lines, f"{indent}{TODO_PREFIX} {block.step}: replace the code below.\n"]
    return [*lines, f"{indent}pass  {TODO_PREFIX} {block.step}: replace this line\n"]


def steps_in(blocks: list[Block]) -> set[int]:
    return {block.step for block in blocks if block.kind == "step"}


@dataclass(frozen=True)
class Lesson:
    """Everything generated, as {path relative to the repository: text}."""

    files: dict[Path, str]


def sources() -> dict[str, list[Block]]:
    return {name: parse((SOURCE / name).read_text(), f"lessons/source/{name}") for name in PROGRAMS}


def program(blocks: list[Block], step: int, solved: bool) -> str:
    """A step's version of one program; one that no step so far has taught is the finished one."""
    if step < min(steps_in(blocks), default=1):
        return render(blocks, 10**6, solved=True)
    return render(blocks, step, solved)


def write_solution(folder: Path, step: int) -> Path:
    """A step's programs with that step's solution filled in, as a student would finish them."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, blocks in sources().items():
        (folder / name).write_text(program(blocks, step, solved=True))
    return folder


def generate(manifest: Manifest | None = None) -> Lesson:
    manifest = manifest or load_manifest()
    parsed = sources()
    files: dict[Path, str] = {}
    for name, blocks in parsed.items():
        files[Path("reference") / name] = render(blocks, 10**6, solved=True)
    for step in manifest.steps:
        folder = Path("lessons") / f"step{step.number}"
        for name, blocks in parsed.items():
            files[folder / name] = program(blocks, step.number, solved=False)
        files[folder / "README.md"] = readme(manifest, step.number, parsed)
    return Lesson(files)


def readme(manifest: Manifest, number: int, parsed: dict[str, list[Block]]) -> str:
    """The step's own text (lessons/source/stepN.md), then its TODOs, checks and hints."""
    step = manifest.step(number)
    intro = (SOURCE / f"step{number}.md").read_text().strip()
    todos = [
        f"- `{name}`, in `{block.within or 'the top of the file'}`: " + " ".join(block.todo)
        for name, blocks in parsed.items()
        for block in blocks
        if block.kind == "step" and block.step == number and block.todo
    ]
    checks = [
        f"- **{check.name}** ({check.points:g} points): {check.describe()}"
        for earlier in manifest.steps[:number]
        for check in earlier.checks
        if earlier.number == number
    ]
    hints = [f"- {check.hint}" for check in step.checks if check.hint]
    return "\n".join(
        [
            f"# Step {number}: {step.title}",
            "",
            intro,
            "",
            "## What to write",
            "",
            "Look for `# TODO step " + str(number) + "` in the files; each one says what it needs:",
            "",
            *todos,
            "",
            "## Check your work",
            "",
            "Run it by hand from this folder, in two or three terminals:",
            "",
            "```sh",
            "python3 srv.py 127.0.0.1 6900",
            "python3 cli.py 127.0.0.1 6900",
            "```",
            "",
            "Then let the grader watch every terminal for you, from the top of the kit:",
            "",
            "```sh",
            f"nox -s grade -- {number}            # once",
            f"nox -s grade -- --watch {number}    # again each time you save",
            "```",
            "",
            f"Step {number} is graded on its own checks"
            + (f" and on those of steps 1 to {number - 1}, which must keep passing" if number > 1 else "")
            + ". Its own are:",
            "",
            *checks,
            "",
            "## Hints",
            "",
            *hints,
            "",
        ]
    )


def differences(lesson: Lesson) -> list[str]:
    """Generated files that are missing or differ on disk, and stray files in step folders."""
    problems = [str(path) for path, text in lesson.files.items() if _read(ROOT / path) != text]
    expected = {ROOT / path for path in lesson.files}
    for folder in (path for path in LESSONS.glob("step*") if path.is_dir() and path.name[4:].isdigit()):
        strays = [p for p in folder.iterdir() if p not in expected and p.name != "__pycache__"]
        problems += [str(p.relative_to(ROOT)) + " (not generated)" for p in strays]
    return sorted(problems)


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


def write(lesson: Lesson) -> list[Path]:
    written = []
    for path, text in lesson.files.items():
        target = ROOT / path
        if _read(target) != text:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
            written.append(path)
    return written


def main(argv: list[str]) -> int:
    if argv not in ([], ["--check"]):
        print("usage: python -m harness.lessons [--check]", file=sys.stderr)
        return 2
    try:
        lesson = generate()
    except LessonSourceError as error:
        print(f"lessons: {error}", file=sys.stderr)
        return 1
    if argv == ["--check"]:
        stale = differences(lesson)
        for path in stale:
            print(f"lessons: out of date: {path} (run `nox -s lessons`)", file=sys.stderr)
        return 1 if stale else 0
    written = write(lesson)
    print(f"lessons: wrote {len(written)} of {len(lesson.files)} files" + "".join(f"\n  {p}" for p in written))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
