"""The kernel, as the engine needs it: processes, system calls, TCP queues, ports, limits, the sandbox,
starting a program.

harness/README.md draws the layers and the order of their imports.
"""
