"""Text extraction from uploaded files (see extract.py; worker.py runs in a child process).

Kept empty: the worker imports this package and must not pull in Django.
"""
