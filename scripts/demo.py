#!/usr/bin/env python
"""The demo, as `make demo` runs it: a web server AND the worker, stopped by one Ctrl-C.

    make demo [PORT=8080]        (or: .venv/bin/python scripts/demo.py --port 8080)

1. Writes `.env` (the demo's settings: DJANGO_DEBUG=1, PORTAIL_DEMO=1, SITE_URL on
   PORT, and DATABASE_URL when set), read by manage.py: the README's commands
   (`.venv/bin/python manage.py worker`, `process_requests`…) then work as typed.
2. Migrates and loads the demo data (`manage.py load_demo`, idempotent; prints the logins).
3. Starts `manage.py worker` (the nightly processing at its hour, the outbox every
   few seconds: e-mails go to this terminal and to the page "Courriels envoyés
   (démo)") and `manage.py runserver 127.0.0.1:PORT`, both in one process group
   of their own, and waits. Ctrl-C (SIGINT) or SIGTERM stops that group (SIGTERM,
   then SIGKILL after 10 s); if either process stops, the other is stopped too.
   On Linux the two also get SIGTERM if this launcher itself is killed.

Standard library only (it re-executes itself with the project's virtualenv).
"""

import argparse
import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
WORKER_INTERVAL = 5  # seconds: a recovery e-mail shows on the demo's page a few seconds after it is asked for
STOP_TIMEOUT = 10
PR_SET_PDEATHSIG = 1


def _use_project_venv():
    """Re-exec with the project's virtualenv when started by another interpreter."""
    venv_python = VENV / "bin" / "python"
    if Path(sys.prefix).resolve() != VENV.resolve() and venv_python.exists():
        os.execv(str(venv_python), [str(venv_python), str(Path(__file__).resolve()), *sys.argv[1:]])  # noqa: S606


def demo_settings(port, environ):
    """The variables of the demo's settings (written to the env file, given to the children)."""
    values = {
        "DJANGO_DEBUG": "1",
        "PORTAIL_DEMO": "1",
        "PORT": str(port),
        "SITE_URL": f"http://127.0.0.1:{port}",
    }
    if environ.get("DATABASE_URL"):
        values["DATABASE_URL"] = environ["DATABASE_URL"]
    return values


def write_env_file(path, values):
    lines = [
        "# Written by `make demo` (scripts/demo.py): the demo's settings, read by manage.py, so that",
        "# `.venv/bin/python manage.py worker`, `process_requests`… work as typed on the demo.",
        "# Variables set in the shell win. Rewritten by each `make demo`; never used in production.",
        *(f"{name}={value}" for name, value in values.items()),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _into_group(pgid):
    """preexec_fn of a child: join the demo's process group (0: start it), and on
    Linux get SIGTERM when the launcher dies, so no orphan keeps the port."""

    def preexec():
        os.setpgid(0, pgid)
        if sys.platform.startswith("linux"):
            try:
                ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
            except (OSError, AttributeError):
                pass

    return preexec


class Demo:
    def __init__(self, env, port, worker_interval):
        self.env = env
        self.port = port
        self.worker_interval = worker_interval
        self.children = []
        self.group = None
        self.stopping = False

    def manage(self, *args):
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, check=True)  # noqa: S603

    def start(self):
        worker = subprocess.Popen(  # noqa: S603 (our own manage.py)
            [sys.executable, "manage.py", "worker", "--interval", str(self.worker_interval)],
            cwd=ROOT, env=self.env, preexec_fn=_into_group(0),  # noqa: PLW1509 (no threads here)
        )  # fmt: skip
        self.group = worker.pid
        self.children.append(worker)
        server = subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{self.port}"],
            cwd=ROOT, env=self.env, preexec_fn=_into_group(self.group),  # noqa: PLW1509
        )  # fmt: skip
        self.children.append(server)
        print(
            f"Démo : http://127.0.0.1:{self.port}/connexion/ — worker (pid {worker.pid}) et serveur web "
            f"(pid {server.pid}), groupe de processus {self.group}. Ctrl-C pour tout arrêter.",
            flush=True,
        )

    def stop(self, *_signal):
        """Stop the whole group: SIGTERM, then SIGKILL after STOP_TIMEOUT seconds."""
        if self.stopping:
            return
        self.stopping = True
        self._signal_group(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for child in self.children:
            try:
                child.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                child.wait()

    def _signal_group(self, signum):
        if self.group is None:
            return
        try:
            os.killpg(self.group, signum)
        except ProcessLookupError:
            pass  # every process of the group has already stopped

    def run(self):
        """Wait until a signal, or until one of the two stops (then stop the other)."""
        while not self.stopping:
            stopped = [child for child in self.children if child.poll() is not None]
            if stopped:
                name = "worker" if stopped[0] is self.children[0] else "serveur web"
                print(f"Le {name} s'est arrêté (code {stopped[0].returncode}) : arrêt de la démo.", flush=True)
                self.stop()
                return 1
            time.sleep(0.3)
        return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description="Lance la démo : serveur web et worker, arrêtés par Ctrl-C.")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 8000))
    parser.add_argument("--env-file", type=Path, default=ROOT / ".env", help="fichier des réglages de la démo")
    parser.add_argument("--worker-interval", type=int, default=WORKER_INTERVAL)
    args = parser.parse_args(argv)
    if not 1 <= args.port <= 65535:
        parser.error("--port : un numéro de port entre 1 et 65535")

    values = demo_settings(args.port, os.environ)
    write_env_file(args.env_file, values)
    env = {**os.environ, **values, "DJANGO_SETTINGS_MODULE": "portail.settings",
           "PORTAIL_ENV_FILE": str(args.env_file.resolve())}  # fmt: skip
    demo = Demo(env, args.port, args.worker_interval)
    # From here on, Ctrl-C and SIGTERM stop the children's group (once started) cleanly.
    signal.signal(signal.SIGINT, lambda *_: _interrupted(demo))
    signal.signal(signal.SIGTERM, lambda *_: _interrupted(demo))
    try:
        demo.manage("migrate", "--noinput")
        demo.manage("load_demo")
        demo.start()
        return demo.run()
    except (subprocess.CalledProcessError, KeyboardInterrupt):
        demo.stop()
        return 1


def _interrupted(demo):
    if demo.group is None:
        raise KeyboardInterrupt  # still migrating or loading: stop there
    demo.stop()


if __name__ == "__main__":
    _use_project_venv()
    sys.exit(main())
