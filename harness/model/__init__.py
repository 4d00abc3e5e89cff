"""What a check is and what it found: the kit's files, scenarios, the manifest, expected lines, outcomes.

harness/README.md draws the layers and the order of their imports.
"""
