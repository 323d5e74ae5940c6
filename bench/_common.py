"""What the benchmark scripts share. Standard library only: it is imported
before a script re-executes itself with the project's virtualenv."""

import math
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"


def use_project_venv(script):
    """Re-exec `script` with the project's virtualenv when started by another interpreter."""
    venv_python = VENV / "bin" / "python"
    if Path(sys.prefix).resolve() != VENV.resolve() and venv_python.exists():
        os.execv(str(venv_python), [str(venv_python), str(Path(script).resolve()), *sys.argv[1:]])


def percentile(values, fraction):
    """Nearest-rank percentile (NaN for no values)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def load_average():
    try:
        return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "load average unknown"
