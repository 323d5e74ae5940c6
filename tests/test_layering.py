"""The layering of portail/, read from the code's own imports (issue 13).

    lib  <-  structures  <-  booking  <-  notifications  <-  dossier, billing  <-  family, staff, accounts  <-  demo, the project
                                            web (request helpers) <- family, staff, accounts

Each app may import only the apps below it: `booking` is the only way into
booking state and booking facts, and nothing below it knows it exists. The
engine announces what happened through `booking.signals`; the apps above
listen (notifications) or register themselves (booking/admin.py adds the
engine's parts to the structures' admin, accounts/admin.py its form to the
family admin). `notifications` is the lowest app of the upper floor: the view
apps use it (staff resends an e-mail, accounts sends an invitation), it uses
none of them. The three view apps never import one another; what they share
lives in `web`, which no app owns. `demo` (`manage.py load_demo`) and the
project's modules (settings, urls) sit on top.

Where the accounts models sit: `accounts` is a view app of the top floor (its
forms and views use the family's helpers in `web` and the outbox). Its User
model is reached from below only by name — `settings.AUTH_USER_MODEL` in a
ForeignKey, `get_user_model()` in code — never by importing `portail.accounts`.

Every import counts: at the top of a module, inside a function (an import
hidden there still runs back up), relative ones, and `import_module("...")`
with a literal name. Migrations count too.
"""

import ast
from pathlib import Path

import pytest

PORTAIL = Path(__file__).resolve().parent.parent / "portail"

BELOW_VIEWS = {"lib", "structures", "booking", "notifications", "web"}
# unit -> the units it may import (itself always allowed).
ALLOWED = {
    "lib": set(),
    "structures": {"lib"},
    "booking": {"lib", "structures"},
    "notifications": {"lib", "structures", "booking"},
    "web": {"lib", "structures", "booking"},
    # Issues 17 and 16: the family file and money, side by side above the
    # engine (neither imports the other), used by the view apps.
    "dossier": {"lib", "structures", "booking", "notifications", "web"},
    "billing": {"lib", "structures", "booking", "notifications", "web"},
    "family": BELOW_VIEWS | {"dossier", "billing"},
    "staff": BELOW_VIEWS | {"dossier", "billing"},
    "accounts": BELOW_VIEWS | {"dossier", "billing"},
    # The local simulated bank (issue 16 point 4): an outside site in the same
    # process, for the demo and the tests; it talks to billing by HTTP only.
    "simbank": {"lib", "web"},
    "demo": BELOW_VIEWS | {"family", "staff", "accounts", "dossier", "billing", "simbank"},
}
PROJECT = "project"  # portail/settings.py, urls.py, wsgi.py…: may import anything


def unit_of(module):
    """'portail.booking.rules' -> 'booking'; 'portail.urls' -> 'project'; None outside portail."""
    parts = module.split(".")
    if parts[0] != "portail":
        return None
    if len(parts) == 1 or (PORTAIL / parts[1]).is_dir():
        return parts[1] if len(parts) > 1 else PROJECT
    return PROJECT


def module_name(path):
    relative = path.relative_to(PORTAIL.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(source, module, is_package=False):
    """(line, imported module) for every import of `source`, wherever it is."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            yield node.lineno, base
            for alias in node.names:  # `from portail import booking` imports portail.booking
                yield node.lineno, f"{base}.{alias.name}"
        elif isinstance(node, ast.Call) and node.args:
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            first = node.args[0]
            if name in {"import_module", "__import__"} and isinstance(first, ast.Constant):
                if isinstance(first.value, str):
                    yield node.lineno, first.value


def violations(source, module, is_package=False, where="<source>"):
    unit = unit_of(module)
    if unit in (None, PROJECT):
        return []
    allowed = ALLOWED[unit] | {unit}
    found, seen = [], set()
    for line, target in imported_modules(source, module, is_package):
        target_unit = unit_of(target)
        if target_unit is None or target == "portail" or (line, target_unit) in seen:
            continue  # `from portail import x` is judged by x; `from X import a, b`: one finding
        seen.add((line, target_unit))
        if target_unit not in allowed:
            found.append(
                f"{where}:{line} imports {target} ({unit} may import only {sorted(ALLOWED[unit]) or 'nothing'})"
            )
    return found


def python_files():
    return sorted(p for p in PORTAIL.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_app_has_its_place_in_the_layering():
    units = {p.name for p in PORTAIL.iterdir() if p.is_dir() and any(p.rglob("*.py"))}
    assert units == set(ALLOWED), "a new package of portail/ needs its floor in ALLOWED (and in this docstring)"


def test_no_import_runs_back_up_the_layers():
    found = []
    for path in python_files():
        module = module_name(path)
        source = path.read_text(encoding="utf-8")
        found += violations(source, module, path.name == "__init__.py", where=path.relative_to(PORTAIL.parent))
    assert found == [], "imports that run back up the layers:\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("module", "source"),
    [
        # Today's back-up imports before issue 13, as they were written:
        (
            "portail.structures.admin",
            "def save_model(self):\n    from portail.booking.staff_actions import save_opening\n",
        ),
        ("portail.structures.demo", "from portail.booking.models import ProcessingRun\n"),
        ("portail.structures.admin", "from portail.accounts.forms import FamilyAccountsForm\n"),
        ("portail.booking.management.commands.worker", "from portail.notifications.outbox import send_due\n"),
        ("portail.accounts.views", "from portail.family.views import family_required\n"),
        ("portail.staff.access", "from portail.family.params import parse_date\n"),
        ("portail.web.errors", "def links():\n    from portail.family.access import current_family\n"),
        # … and the other ways of writing one.
        ("portail.booking.rules", "from .. import accounts\n"),
        ("portail.booking.rules", "from portail import staff\n"),
        ("portail.booking.rules", "from portail import settings\n"),
        ("portail.lib.dates", "import portail.structures.models\n"),
        ("portail.booking.processing", "importlib.import_module('portail.notifications.reports')\n"),
    ],
)
def test_the_check_sees_an_import_that_runs_back_up(module, source):
    assert len(violations(source, module)) >= 1


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("portail.booking.admin", "from portail.structures.admin import OpeningAdmin\n"),
        ("portail.notifications.apps", "def ready(self):\n    from portail.booking import signals\n"),
        ("portail.accounts.views", "from portail.web.family import family_required\n"),
        ("portail.booking.models", "from django.conf import settings\n"),
        ("portail.booking.snapshot", "from . import rules\nfrom .calendar import closed_days\n"),
    ],
)
def test_the_check_lets_an_import_down_the_layers_through(module, source):
    assert violations(source, module) == []
