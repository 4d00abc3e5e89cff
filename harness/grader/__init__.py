"""Grading a folder: checks run side by side, crashes and known mistakes recognised, progress saved.

harness/README.md draws the layers and the order of their imports.
"""
