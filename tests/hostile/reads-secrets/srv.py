"""Looks for the grader's secrets where they usually are (the hidden checks, the reference,
the grader's results, other students' files) and prints whatever it can read, in place of
the start line. Contained, it finds nothing readable."""

import contextlib
import os
from pathlib import Path

WANTED = ("checks.toml", "srv.py", "cli.py", "steps.toml", "results.json", "summary.csv")
roots = [Path("/autograder"), Path("/work"), Path("/root"), Path("/home"), Path("/tmp"), Path.cwd().parent]
roots += [parent for parent in Path(__file__).resolve().parents if parent != Path("/")]
found, looked = [], 0
for root in roots:
    for folder, _dirs, files in os.walk(root):
        looked += 1
        if looked > 3000:
            break
        for name in files:
            path = Path(folder) / name
            if name in WANTED and path.resolve() != Path(__file__).resolve() and path.parent != Path(__file__).parent:
                with contextlib.suppress(OSError):
                    found.append((path, path.read_text(errors="replace")))
print(f"reads-secrets: {len(found)} files read", flush=True)
for path, text in found[:50]:
    print(f"--- {path}\n{text}", flush=True)
raise SystemExit(1)
