"""Grading machinery for instructors: trustworthy checks of the two exercises,
grading a class in parallel, sandboxing untrusted student code, and the class
report. None of it holds a solution: reference solutions live only in the hidden
test cells of ``source/``.
"""
