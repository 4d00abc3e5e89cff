"""Where grading runs: a student's terminal, Gradescope's zip and autograder, GitHub Classroom,
a class graded at once.

harness/README.md draws the layers and the order of their imports.
"""
