"""The instructors' and maintainers' tools: lessons, mutants, the docs check, the example class.

harness/README.md draws the layers and the order of their imports.
"""
