"""One-off: tests/mutants/coverage.json from the recorded run as docs/grader-coverage.md shows it."""

import re

from harness.model import coverage, kit

page = kit.COVERAGE_DOC.read_text()
table, blast = page.split("## Blast radius")
cells = [
    [c.strip() for c in re.split(r"(?<!\\)\|", line)][1:-1] for line in table.splitlines() if line.startswith("| `")
]
radius = {}
for line in blast.splitlines():
    if line.startswith("| `"):
        name, _spec, count, which = [c.strip() for c in line.split("|")][1:-1]
        radius[name.strip("`")] = () if which == "-" else tuple(which.split(", "))
        assert len(radius[name.strip("`")]) == int(count)
run = []
for name, _mistake, caught_by, told in cells:
    name = name.strip("`")
    named = re.match(r"`([^`]+)` \([^)]*\) (✓|✗ (.+))$", caught_by)
    first = named[1] if named[2] == "✓" else (None if named[3] == "missed" else named[3])
    told = None if told == "(no check failed)" else told.replace("\\|", "|")
    run.append(coverage.Caught(name, first, told, radius.get(name)))
kit.COVERAGE.write_text(coverage.dumps(run))
print(f"wrote {kit.COVERAGE}: {len(run)} mutants")
