"""The fuzz suite (issue 12, point 3). On CI (CI=true) hypothesis is derandomized:
each run draws the same examples, so a red CI is a real regression, not a lucky
draw; developers' runs stay random and explore further."""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
