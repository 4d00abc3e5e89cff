"""The master source of the lessons and the reference: its step markers, and each step's
version of a program made from it (the lesson generator, harness/authoring/lessons.py, writes
them out; the grader, harness/grader/progress.py, tells untouched step files by them).

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
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

from harness.model import kit
from harness.model.schema import InputError

SOURCE = kit.LESSON_SOURCE
PROGRAMS = ("srv.py", "cli.py")
DIRECTIVE = re.compile(r"^(?P<indent>\s*)#@ ?(?P<word>\w*)(?: (?P<rest>.*))?$")
TODO_PREFIX = "# TODO step"


class LessonSourceError(InputError):
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
    leading = re.match(r"\s*", next(line for line in block.lines if line.strip()))
    assert leading is not None  # \s* matches at the start of any line
    indent = leading.group(0)
    lines = [f"{indent}{TODO_PREFIX} {block.step}: {text}\n" for text in block.todo or ["write this part"]]
    if replaced:  # the simpler code that follows is the starting point
        return [*lines, f"{indent}{TODO_PREFIX} {block.step}: replace the code below.\n"]
    blank = len(block.lines) - len("".join(block.lines).rstrip("\n").split("\n"))  # the gap to what follows
    return [*lines, f"{indent}pass  {TODO_PREFIX} {block.step}: replace this line\n", *["\n"] * max(blank, 0)]


def steps_in(blocks: list[Block]) -> set[int]:
    return {block.step for block in blocks if block.kind == "step"}


def sources() -> dict[str, list[Block]]:
    return {name: parse((SOURCE / name).read_text(), f"lessons/source/{name}") for name in PROGRAMS}


def program(blocks: list[Block], step: int, solved: bool) -> str:
    """A step's version of one program; one that no step so far has taught is the finished one."""
    if step < min(steps_in(blocks), default=1):
        return render(blocks, 10**6, solved=True)
    return render(blocks, step, solved)


def write_skeleton(folder: Path, step: int) -> Path:
    """A step's programs as the kit gives them, untouched, for a test to grade."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, blocks in sources().items():
        (folder / name).write_text(program(blocks, step, solved=False))
    return folder


def write_solution(folder: Path, step: int) -> Path:
    """A step's programs with that step's solution filled in, as a student would finish them."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, blocks in sources().items():
        (folder / name).write_text(program(blocks, step, solved=True))
    return folder
