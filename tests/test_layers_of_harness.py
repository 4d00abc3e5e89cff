"""The harness's packages import one way only, in the order harness/README.md draws them."""

import ast
import re
from pathlib import Path

HARNESS = Path(__file__).resolve().parent.parent / "harness"
DRAWING = HARNESS / "README.md"
COMMANDS = {"grade", "run_scenario", "commands", "__main__", "__init__"}  # the top: may import any layer


def layers() -> list[str]:
    """The packages, top (imported by all) to bottom, as the drawing lists them."""
    block = DRAWING.read_text().split("<!-- layers:", 1)[1].split("```text", 1)[1].split("```", 1)[0]
    return [match[1] for line in block.splitlines() if (match := re.match(r"^(\w+)\s", line))]


def imported_packages(path: Path) -> set[str]:
    """The harness packages a module imports (harness.X.Y or `from harness.X import Y`)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "harness" and len(parts) > 1:
                found.add(parts[1])
    return found


def test_the_drawing_lists_every_package_once():
    packages = sorted(p.name for p in HARNESS.iterdir() if (p / "__init__.py").is_file())
    assert sorted(layers()) == packages
    assert len(set(layers())) == len(layers())


def test_no_module_imports_a_later_layer():
    order = {name: index for index, name in enumerate(layers())}
    wrong = []
    for package in layers():
        for module in sorted((HARNESS / package).glob("*.py")):
            for other in imported_packages(module):
                if other in order and order[other] > order[package]:
                    wrong.append(f"{module.relative_to(HARNESS)} imports harness.{other}")
    assert not wrong, "imports against the drawn order:\n" + "\n".join(wrong)


def test_every_module_is_in_a_layer_or_is_a_command():
    loose = {path.stem for path in HARNESS.glob("*.py")}
    assert loose == COMMANDS
