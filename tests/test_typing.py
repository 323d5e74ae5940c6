"""Static type checking is really on (issue 13 point 4).

`make test` runs `mypy` on portail/booking and portail/lib with the settings of
pyproject.toml. These tests make sure those settings still catch what they are
for, so that a configuration that quietly stopped checking (the Django plugin
dropped, optional types relaxed, booking functions left unannotated) fails here:

- mypy, run with the project's configuration on a small program that hands
  None (or a date that may be None) to booking functions expecting a date,
  reports exactly those calls and accepts the correct ones;
- every module of booking and lib is held to annotated signatures.
"""

import io
import pathlib
import subprocess
import sys
import textwrap

from mypy.config_parser import parse_config_file
from mypy.options import Options

ROOT = pathlib.Path(__file__).resolve().parent.parent
CONFIG = ROOT / "pyproject.toml"

# Each line marked `# error:` must be reported with that text, and no other line.
PROGRAM = textwrap.dedent(
    """\
    import datetime

    from portail.booking import rules, states
    from portail.booking.models import Booking
    from portail.structures.models import Child

    child = Child.objects.get(pk=1)
    day = datetime.date(2026, 11, 2)
    states.enrolled_activities(child, day, day)
    states.enrolled_activities(child, None, day)  # error: Argument 2 to "enrolled_activities" has incompatible type "None"; expected "date"
    rules.horizon_start(Booking.objects.get(pk=1).date)
    first = Booking.objects.first()
    rules.horizon_start(first.date)  # error: Item "None" of "Booking | None" has no attribute "date"
    states.month_bounds(2026, "11")  # error: Argument 2 to "month_bounds" has incompatible type "str"; expected "int"
    """
)


def _expected_errors():
    expected = {}
    for number, line in enumerate(PROGRAM.splitlines(), start=1):
        if "# error: " in line:
            expected[number] = line.split("# error: ", 1)[1]
    return expected


def test_mypy_reports_a_none_passed_where_a_date_is_expected(tmp_path):
    program = tmp_path / "probe.py"
    program.write_text(PROGRAM)
    # A separate process from the project's root, as `make test` runs it: mypy in
    # this process would take pytest's sys.path for installed packages and stay
    # silent about the project's modules. It shares `make test`'s cache, so only
    # the probe is checked afresh.
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(CONFIG), "--no-error-summary", str(program)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stderr == ""
    reported = {}
    for line in result.stdout.splitlines():
        path, number, kind, message = line.split(":", 3)
        # Nothing reported in the project's own modules. (The name only: for a probe
        # unchanged since an earlier run, mypy's cache repeats that run's path.)
        assert pathlib.Path(path).name == program.name, line
        if kind.strip() == "error":
            reported[int(number)] = message.strip().rsplit("  [", 1)[0]
    assert reported == _expected_errors()
    assert result.returncode == 1


def test_booking_and_lib_must_annotate_every_function():
    options = Options()
    parse_config_file(options, lambda: None, str(CONFIG), stdout=io.StringIO(), stderr=io.StringIO())
    assert options.strict_optional
    assert options.check_untyped_defs
    assert "mypy_django_plugin.main" in options.plugins
    assert set(options.files) >= {"portail/booking", "portail/lib"}
    modules = [
        ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for package in ("portail/booking", "portail/lib")
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    ]
    assert "portail.booking.rules" in modules
    for module in modules:
        module_options = options.clone_for_module(module)
        assert module_options.disallow_untyped_defs, module
        assert module_options.disallow_incomplete_defs, module
        assert not module_options.ignore_errors, module
