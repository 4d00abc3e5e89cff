"""The room: terminals and their screens, robots on raw sockets, the step runner, the crowd.

harness/README.md draws the layers and the order of their imports.
"""
