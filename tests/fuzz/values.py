"""Hostile values for the fuzz suite (issue 12, points 2-3).

Every URL pattern of the family side, /gestion/ and the admin's forms is listed
in a matrix (ROUTES in test_family.py, test_staff.py; ADMIN_MODELS in
test_admin.py); tests/fuzz/test_guard.py fails when a new URL or model admin has
no entry. Each entry says which parameters the endpoint reads and of what kind;
hypothesis sends random and hostile values of every kind to every parameter, as
the right user and as others, and the suite asserts: never a 500, and a refused
request (status >= 400, or a page that says the value was refused) changes
nothing in the database.
"""

import datetime
from dataclasses import dataclass, field

from django.apps import apps
from hypothesis import strategies as st

# Values that broke the site on 3472ea3 (issue 12), and their cousins.
NASTY_STRINGS = [
    "",
    " ",
    "0",
    "-1",
    "2147483647",
    "2147483648",
    "9223372036854775808",
    "99999999999999999999",
    "1e309",
    "NaN",
    "inf",
    "0x10",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "1900-01-01",
    "2026-13",
    "2026-02-30",
    "0001-01",
    "2026-00-00",
    "24:00",
    "23:60",
    "-01:00",
    "12:00:00+05:00",
    "2026-00",  # parsed as 20:26 with an offset by time.fromisoformat
    '<meta http-equiv="refresh" content="0;url=//evil.example">',
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "a\r\nSet-Cookie: x=1",
    "DUPONT\r\nJean",
    'Nom "avec" guillemets',
    "\x00",
    "\x1b[31m",
    "\u202e",  # right-to-left override
    "🙂👨‍👩‍👧",
    "Ω" * 300,
    "../../etc/passwd",
    "'; DROP TABLE booking_booking; --",
    "A" * 100_000,
]

# Kinds of parameter a matrix entry can declare.
KINDS = ("int", "id", "date", "month", "time", "text", "bool", "choice")


def _dates():
    return st.dates(min_value=datetime.date(1, 1, 1), max_value=datetime.date(9999, 12, 31)).map(
        datetime.date.isoformat
    )


def hostile(kind, valid=()):
    """A strategy of strings for a parameter of `kind`; `valid` values (strings) are
    mixed in so that hypothesis also explores the paths past validation."""
    common = st.sampled_from(NASTY_STRINGS) | st.text(max_size=40)
    by_kind = {
        "int": st.integers(min_value=-(2**70), max_value=2**70).map(str),
        "id": st.integers(min_value=-5, max_value=2**64).map(str),
        "date": _dates(),
        "month": st.tuples(st.integers(-1, 10_001), st.integers(-1, 14)).map(lambda ym: f"{ym[0]:04d}-{ym[1]:02d}"),
        "time": st.tuples(st.integers(-1, 25), st.integers(-1, 61)).map(lambda hm: f"{hm[0]:02d}:{hm[1]:02d}"),
        "text": st.text(max_size=300),
        "bool": st.sampled_from(["on", "1", "true", "0", "off"]),
        "choice": st.text(max_size=20),
    }
    strategy = common | by_kind[kind]
    if valid:
        strategy = st.sampled_from(list(valid)) | strategy
    return strategy


def params(fields, valid=None):
    """A strategy of request data: each field absent, once, or repeated (a list)."""
    valid = valid or {}
    entries = {}
    for name, kind in fields.items():
        value = hostile(kind, valid.get(name, ()))
        entries[name] = st.one_of(st.none(), value, st.lists(value, min_size=2, max_size=3))
    return st.fixed_dictionaries(entries).map(lambda d: {k: v for k, v in d.items() if v is not None})


@dataclass(frozen=True)
class Route:
    """One URL pattern in the fuzz matrix.

    method: "get" or "post"; fields: parameter name -> kind (see KINDS);
    url_kwargs: world -> kwargs for reverse() (for patterns with arguments);
    valid: world -> {field: [valid string values]} to get past validation sometimes;
    users: which accounts of the world send it (attribute names of the world).
    """

    method: str
    fields: dict
    url_kwargs: object = None
    valid: object = None
    users: tuple = field(default=())
    htmx: bool = False


# Tables a refused request may still touch: the session (messages), the login
# throttling's records, the admin's log (none for refusals, but never our data).
_IGNORED_TABLES = {"django_session", "axes_accessattempt", "axes_accesslog", "axes_accessfailurelog"}


def fingerprint():
    """Every row of every model, as a comparable value: two equal fingerprints mean
    the request changed nothing. Cheap on the small test world."""
    state = {}
    for model in apps.get_models():
        table = model._meta.db_table
        if table in _IGNORED_TABLES:
            continue
        state[table] = sorted(map(repr, model._default_manager.order_by().values_list()))
    return state


def assert_refusal_changed_nothing(response, before):
    """A refused request (4xx) leaves every row as it was."""
    if response.status_code >= 400:
        after = fingerprint()
        changed = [t for t in before if before[t] != after.get(t)]
        assert not changed, f"refused request ({response.status_code}) changed {changed}"


def assert_no_server_error(response, what):
    assert response.status_code < 500, f"{what} -> {response.status_code}"


def mutations(fields, base):
    """A strategy of request data that is right except for one or two fields.

    `base`: {field: [right string values]} (the user's own child, a day that is
    open...). Random data rarely gets past the first check of an endpoint (an id
    of the family); starting from a right request and spoiling one or two fields
    (hostile value, absent, repeated) reaches the checks and rules behind it."""

    if not fields:
        return st.just({})

    @st.composite
    def strategy(draw):
        data = {name: draw(st.sampled_from(list(values))) for name, values in base.items() if name in fields and values}
        spoiled = draw(st.lists(st.sampled_from(sorted(fields)), min_size=1, max_size=2, unique=True))
        for name in spoiled:
            value = hostile(fields[name])
            data[name] = draw(st.one_of(st.none(), value, st.lists(value, min_size=2, max_size=3)))
            if data[name] is None:
                del data[name]
        return data

    return strategy()


# Markup a hostile value carries: never found raw in an answer's body.
MARKUP = [value for value in NASTY_STRINGS if "<" in value]


def send(client, route, url, data):
    """The request a Route describes."""
    if route.method == "get":
        return client.get(url, data)
    return client.post(url, data)


def assert_no_markup_echoed(response, data, what):
    # A file (issue 17: a family's document) is streamed: read it whole, which also closes it.
    content = b"".join(response.streaming_content) if response.streaming else response.content
    body = content.decode("utf-8", "replace")
    sent = [v for value in data.values() for v in (value if isinstance(value, list) else [value])]
    for markup in MARKUP:
        if any(markup in value for value in sent):
            assert markup not in body, f"{what}: markup echoed raw"


def check_answer(response, data, what, before):
    """No 500, no markup of the request echoed raw, nothing changed by a refusal."""
    assert_no_server_error(response, what)
    assert_no_markup_echoed(response, data, what)
    assert_refusal_changed_nothing(response, before)
