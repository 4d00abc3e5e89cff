"""Drives a chat server and its clients in real terminals and judges what each person sees.

Data flows one way: a scenario (data, scenario.py) runs in a room of terminals
(room.py, terminal.py, robot.py), whose screens (screen.py) and raw bytes (timeline.py)
are checked line by line (expect.py, runner.py) and reported (report.py).
"""
