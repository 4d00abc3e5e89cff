"""Code shown in the docs, taken from the programs themselves so it cannot drift from them.

An HTML comment right before a fenced block says where the block's code comes from:

    <!-- excerpt: reference/srv.py ChatServer.accept -->
    ```python
    def accept(self):
        ...
    ```

The first word is a file, relative to the top of the kit; the second a definition in it:
a function or class, a method as Class.method, or a name assigned at the top of the file
(USAGE). `lessons/source/srv.py@3` is the master source as it stands once step 3 is solved,
as harness.authoring.lessons renders it. The block holds that definition's source, dedented.
`python -m harness docs --write` rewrites every such block; the docs check fails on one
that differs.
"""

import ast
import re
import textwrap

from harness.authoring import markdown
from harness.model import kit, lesson_source

ROOT = kit.ROOT
MARKER = re.compile(r"^excerpt:\s*(?P<file>[^\s@]+)(?:@(?P<step>[0-9]+))?\s+(?P<name>[\w.]+)$")


class ExcerptError(Exception):
    """An excerpt comment that names nothing usable; the message says why."""


def _program(file: str, step: int | None) -> str:
    path = ROOT / file
    if step is None:
        try:
            return path.read_text()
        except OSError as error:
            raise ExcerptError(f"cannot read {file}: {error.strerror}") from None
    if path.parent != lesson_source.SOURCE or path.name not in lesson_source.PROGRAMS:
        raise ExcerptError(f"@{step} is for lessons/source/{' or '.join(lesson_source.PROGRAMS)}, not {file}")
    return lesson_source.program(lesson_source.sources()[path.name], step, solved=True)


def extract(file: str, name: str, step: int | None = None) -> str:
    """The source of one definition in a file, dedented, ending in a newline."""
    source = _program(file, step)
    try:
        body: list[ast.stmt] = ast.parse(source).body
    except SyntaxError as error:
        raise ExcerptError(f"{file}: cannot parse line {error.lineno}: {error.msg}") from None
    node: ast.stmt | None = None
    for part in name.split("."):
        node = next((n for n in body if part in _names(n)), None)
        if node is None:
            raise ExcerptError(f"{file}{'@' + str(step) if step else ''} has no {name}")
        body = node.body if isinstance(node, ast.ClassDef) else []
    assert node is not None and node.end_lineno is not None
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    lines = source.splitlines(keepends=True)[first - 1 : node.end_lineno]
    return textwrap.dedent("".join(lines)).rstrip("\n") + "\n"


def _names(node: ast.stmt) -> list[str]:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [node.name]
    if isinstance(node, ast.Assign):
        return [target.id for target in node.targets if isinstance(target, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []


def wanted(fence: markdown.Fence) -> str | None:
    """What an excerpt block should hold; None for a block that is not an excerpt."""
    if not fence.comment.startswith("excerpt:"):
        return None
    found = MARKER.match(fence.comment)
    if not found:
        raise ExcerptError(f"write '<!-- excerpt: FILE[@STEP] NAME -->', not '<!-- {fence.comment} -->'")
    return extract(found["file"], found["name"], int(found["step"]) if found["step"] else None)


def problems(text: str, where: str) -> list[str]:
    """One line for each excerpt in a page that is broken or differs from its source."""
    found = []
    for fence in markdown.fences(text):
        try:
            code = wanted(fence)
        except ExcerptError as error:
            found.append(f"{where}:{fence.start}: {error}")
            continue
        if code is not None and fence.body != code:
            found.append(
                f"{where}:{fence.start}: <!-- {fence.comment} --> is out of date (python -m harness docs --write)"
            )
    return found


def refreshed(text: str) -> str:
    """The page with every excerpt block holding its source's current code; broken ones kept."""
    lines = text.splitlines(keepends=True)
    for fence in reversed(markdown.fences(text)):
        try:
            code = wanted(fence)
        except ExcerptError:
            continue
        if code is not None:
            lines[fence.start + 1 : fence.end] = code.splitlines(keepends=True)
    return "".join(lines)
