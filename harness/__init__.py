"""Drives a chat server and its clients in real terminals and judges what each person sees.

Data flows one way: a scenario (model/) runs in a room of terminals (engine/, on the
kernel's means in system/), whose screens and raw bytes are checked line by line and
graded (grader/) and reported (outputs/, platforms/). harness/README.md draws the layers.
"""
