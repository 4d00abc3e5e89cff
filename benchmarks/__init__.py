"""The benchmarks time real runs: a test session's shared runs (harness/grader/shared_runs.py)
are not for them, nor for the commands they start."""

import os

from harness.grader.shared_runs import SHARED_RUNS

os.environ.pop(SHARED_RUNS, None)
