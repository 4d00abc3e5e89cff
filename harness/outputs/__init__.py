"""What a person or a platform reads: the scenario report, the grade report, results.json, JUnit XML.

harness/README.md draws the layers and the order of their imports.
"""
