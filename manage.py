#!/usr/bin/env python
import os
import sys
from pathlib import Path

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portail.settings")
    # The demo's settings, written by `make demo` (scripts/demo.py), so that the
    # README's commands work as typed on the demo; the shell's variables win.
    # PORTAIL_ENV_FILE names another file ("" for none). A production server has
    # no .env: its variables come from its environment file (docs/deployment.md).
    from portail.lib.env import load_env_file

    load_env_file(os.environ.get("PORTAIL_ENV_FILE", Path(__file__).resolve().parent / ".env") or os.devnull)

    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
