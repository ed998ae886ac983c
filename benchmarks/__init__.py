"""losskit's benchmark suite: ``python -m benchmarks`` (``nox -s bench``); see ``benchmarks/suite.py``."""
