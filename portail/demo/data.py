"""Demo data (issue 14 point 5): "Mairie de CarteVille" and "Accueil de loisirs
Les Pinsons", the DUPONT family of the manual in both and about forty other
families, the manual's activities with openings for the current school year,
and a life already lived: bookings of the previous, current and next month
made through the booking engine (waiting lists, refusals, a full day, a place
given from the waiting list), the roll call of the last two months, processing
runs in the past with their comptes-rendus, one still in the outbox, and an
activity whose bookings open tonight. Idempotent: every row is found by its
natural key before being created, and the bookings are made once."""

import datetime
import random
import unicodedata
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from portail.accounts.models import StaffRole, User
from portail.booking.confirm import confirm_draft
from portail.booking.drafts import get_draft, toggle_set
from portail.booking.models import Booking, BookingStatus, Confirmation, Consumption, Movement, ProcessingRun
from portail.booking.processing import process_requests
from portail.booking.snapshot import load_snapshot
from portail.demo.billing_data import load_billing
from portail.demo.dossier_data import load_family_file
from portail.notifications.models import EmailStatus, OutboxEmail
from portail.structures.calendar import public_holidays
from portail.structures.models import (
    Activity,
    Child,
    ClosedPeriod,
    DayCount,
    Enrolment,
    Family,
    InfoMessage,
    Structure,
)
from portail.structures.openings import create_openings

DEMO_PASSWORD = "Demo-Portail-2026"  # demo site only; printed by `make demo`

MON, TUE, WED, THU, FRI = 0, 1, 2, 3, 4
SCHOOL_DAYS = {MON, TUE, THU, FRI}


@dataclass(frozen=True)
class Login:
    role: str
    username: str


def school_year(today):
    """First and last day of the school year containing `today` (1 Sept – 3 July)."""
    first_year = today.year if today.month >= 8 else today.year - 1
    return datetime.date(first_year, 9, 1), datetime.date(first_year + 1, 7, 3)


def _saturday_on_or_after(day):
    return day + datetime.timedelta(days=(5 - day.weekday()) % 7)


def demo_holidays(start):
    """Approximate school holidays of the year starting at `start` (demo dates)."""
    y1, y2 = start.year, start.year + 1
    toussaint = _saturday_on_or_after(datetime.date(y1, 10, 17))
    noel = _saturday_on_or_after(datetime.date(y1, 12, 18))
    hiver = _saturday_on_or_after(datetime.date(y2, 2, 13))
    printemps = _saturday_on_or_after(datetime.date(y2, 4, 10))
    fortnight = datetime.timedelta(days=15)
    periods = [
        ("Vacances de la Toussaint", toussaint, toussaint + fortnight),
        ("Vacances de Noël", noel, noel + fortnight),
        ("Vacances d'hiver", hiver, hiver + fortnight),
        ("Vacances de printemps", printemps, printemps + fortnight),
    ]
    ascension = next(d for d, name in sorted(_holidays_named(y2)) if "Ascension" in name)
    periods.append(
        ("Pont de l'Ascension", ascension + datetime.timedelta(days=1), ascension + datetime.timedelta(days=1))
    )
    return periods


def _holidays_named(year):
    import holidays

    public_holidays(year)  # warm the shared cache
    return holidays.France(years=year).items()


def _account(username, first_name, last_name, email="", staff=False, superuser=False, *, password):
    """The account, with the demo password (`password`: its hash) set again at every load."""
    user, _ = User.objects.get_or_create(
        username=username,
        defaults={"first_name": first_name, "last_name": last_name, "email": email},
    )
    user.is_staff = staff or superuser
    user.is_superuser = superuser
    user.password = password
    user.save()
    return user


def _family(structure, reference, civility, last_name, first_name, accounts, children):
    family, _ = Family.objects.get_or_create(
        structure=structure,
        reference=reference,
        defaults={"civility": civility, "last_name": last_name, "first_name": first_name},
    )
    family.accounts.add(*accounts)
    kids = []
    for child_first, birth, school_class in children:
        child, _ = Child.objects.get_or_create(
            family=family,
            first_name=child_first,
            birth_date=birth,
            defaults={"last_name": last_name, "school_class": school_class},
        )
        kids.append(child)
    return family, kids


def _activity(structure, code, start, end, **fields):
    activity, _ = Activity.objects.update_or_create(
        structure=structure,
        code=code,
        defaults={"booking_period_start": start, "booking_period_end": end, **fields},
    )
    return activity


def _enrol(children, activities, start, end):
    for child in children:
        for activity in activities:
            Enrolment.objects.get_or_create(
                child=child, activity=activity, start_date=start, defaults={"end_date": end}
            )


@dataclass(frozen=True)
class Plan:
    """What a child books on an activity: the weekdays, and times when it has some."""

    activity: Activity
    weekdays: frozenset
    arrival: datetime.time | None = None
    departure: datetime.time | None = None


# (last name, civility, parent's first name) of the other families, French and varied.
CARTEVILLE_FAMILIES = [
    ("MOREAU", "Mme", "Camille"), ("LAURENT", "M.", "Thomas"), ("SIMON", "Mme", "Julie"),
    ("LEFEBVRE", "M.", "Nicolas"), ("GARCIA", "Mme", "Elena"), ("FOURNIER", "M.", "Julien"),
    ("GIRARD", "Mme", "Aurélie"), ("MERCIER", "M.", "Sébastien"), ("BLANC", "Mme", "Émilie"),
    ("GUÉRIN", "M.", "Mathieu"), ("CHEVALIER", "Mme", "Laure"), ("FRANÇOIS", "M.", "Olivier"),
    ("LEGRAND", "Mme", "Sandrine"), ("PERRIN", "M.", "Guillaume"), ("ROBIN", "Mme", "Céline"),
    ("CLÉMENT", "M.", "Romain"), ("NGUYEN", "Mme", "Linh"), ("BENSAÏD", "M.", "Karim"),
    ("DIALLO", "Mme", "Aminata"), ("DA SILVA", "M.", "Rui"), ("LE GALL", "Mme", "Morgane"),
    ("KOWALSKI", "M.", "Piotr"), ("N'DIAYE", "Mme", "Fatou"), ("ROUSSEL", "M.", "Antoine"),
    ("BOYER", "Mme", "Hélène"),
]  # fmt: skip
PINSONS_FAMILIES = [
    ("GAUTHIER", "Mme", "Marion"), ("MORIN", "M.", "Cédric"), ("HENRY", "Mme", "Pauline"),
    ("MATHIEU", "M.", "Yannick"), ("ROUX", "Mme", "Anaïs"), ("VINCENT", "M.", "Laurent"),
    ("TRAORÉ", "Mme", "Mariam"), ("LEBRETON", "M.", "Erwan"), ("COHEN", "Mme", "Sarah"),
    ("FERREIRA", "M.", "Paulo"),
]  # fmt: skip
CHILD_NAMES = [
    "Emma", "Gabriel", "Jade", "Louis", "Louise", "Raphaël", "Alice", "Arthur", "Lina", "Jules", "Rose", "Adam",
    "Mia", "Maël", "Anna", "Lucas", "Zoé", "Noah", "Chloé", "Sacha", "Léna", "Nathan", "Inaya", "Ethan", "Manon",
    "Yanis", "Camille", "Timéo", "Sofia", "Aylan", "Lola", "Mohamed", "Nina", "Liam", "Iris", "Tom",
]  # fmt: skip
CLASSES = {3: "PS", 4: "MS", 5: "GS", 6: "CP", 7: "CE1", 8: "CE2", 9: "CM1", 10: "CM2"}


def _username(last_name):
    """'DA SILVA' -> 'da.silva', "N'DIAYE" -> 'ndiaye', 'GUÉRIN' -> 'guerin'."""
    plain = unicodedata.normalize("NFKD", last_name).encode("ascii", "ignore").decode().lower()
    return ".".join("".join(c for c in word if c.isalnum()) for word in plain.split())


def _other_family(structure, prefix, index, name, civility, first_name, start, password):
    """One of the ~40 other families: an account, 1 to 3 children (the same at every load)."""
    rng = random.Random(f"demo-family-{name}")  # noqa: S311 (demo data, not security)
    username = _username(name)
    # A third of the parents gave an e-mail address: they get the comptes-rendus.
    email = f"{username}@example.org" if index % 3 == 0 else ""
    account = _account(username, first_name, name, email, password=password)
    children = []
    for first in rng.sample(CHILD_NAMES, rng.choices([1, 2, 3], weights=[35, 45, 20])[0]):
        age = rng.randint(3, 10)
        birth = datetime.date(start.year - age, rng.randint(1, 12), rng.randint(1, 28))
        children.append((first, birth, CLASSES[age]))
    return _family(structure, f"{prefix}{index:03d}", civility, name, first_name, [account], children)


def _plans(child, rng, carteville, activities):
    """What a child of the other families books, by activity (a realistic mix)."""
    plans = []
    if carteville:
        aps_matin, restauration, alsh_mercredi, aps_soir = activities
        if rng.random() < 0.75:
            plans.append(
                Plan(restauration, frozenset(rng.choice([SCHOOL_DAYS, SCHOOL_DAYS, {MON, TUE, THU}, {TUE, THU, FRI}])))
            )
        if rng.random() < 0.22:
            days = frozenset(rng.sample(sorted(SCHOOL_DAYS), rng.randint(1, 3)))
            plans.append(Plan(aps_matin, days, rng.choice([T(7, 30), T(7, 45), T(8, 0)]), T(8, 30)))
        if rng.random() < 0.35:
            days = frozenset(rng.sample(sorted(SCHOOL_DAYS), rng.randint(2, 4)))
            plans.append(Plan(aps_soir, days, T(16, 30), rng.choice([T(17, 30), T(17, 45), T(18, 0), T(18, 30)])))
        if rng.random() < 0.3:
            plans.append(Plan(alsh_mercredi, frozenset({WED})))
    else:
        pinsons_mercredi, pinsons_repas = activities
        if rng.random() < 0.8:
            plans.append(Plan(pinsons_mercredi, frozenset({WED})))
            if rng.random() < 0.9:
                plans.append(Plan(pinsons_repas, frozenset({WED})))
    return plans


def T(hour, minute=0):  # noqa: N802 (a time of day, read like 07:45)
    return datetime.time(hour, minute)


def _month(day):
    first = day.replace(day=1)
    last = (first + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
    return first, last


def _days(first, last, weekdays):
    return [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)
            if (first + datetime.timedelta(days=n)).weekday() in weekdays]  # fmt: skip


def _at(day, hour, minute=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


class _Booker:
    """Books through the engine, as a parent does: marks in the family's draft
    (drafts.toggle_set, the quick tools), then « Confirmer » (confirm.confirm_draft)
    at a chosen moment. Never Booking rows behind its back: the openings' place
    counters, waiting lists and movements stay the engine's."""

    def __init__(self, family, account, now):
        self.family, self.account, self.now = family, account, now
        self.draft = get_draft(family, account)
        self.snapshot = None

    def read(self, children, activities, first, last):
        """One snapshot of the family's days for the marks to come (drafts.toggle_set
        takes it: the days' states do not change until « Confirmer »)."""
        self.snapshot = load_snapshot(self.family.structure_id, [c.pk for c in children],
                                      [a.pk for a in activities], first, last, self.now, activities=activities)  # fmt: skip

    def mark(self, child, plan, days):
        if days:
            toggle_set(self.draft, child, plan.activity, days, now=self.now, arrival=plan.arrival,
                       departure=plan.departure, snapshot=self.snapshot)  # fmt: skip

    def confirm(self, now=None):
        if self.draft.items.exists():
            return confirm_draft(self.draft, self.draft.token, user=self.account, now=now or self.now)
        return None


def _run(structure, started):
    """A processing run at `started` (in the past), as the worker would have
    run it that night: its comptes-rendus were sent a few minutes later."""
    before = OutboxEmail.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    if not Movement.objects.filter(structure=structure, run__isnull=True).exists():
        return None, OutboxEmail.objects.none()  # nothing booked (a month without openings): no run
    run = process_requests(structure, now=started)
    ProcessingRun.objects.filter(pk=run.pk).update(finished_at=started + datetime.timedelta(seconds=90))
    return run, OutboxEmail.objects.filter(pk__gt=before)


def _mark_sent(emails, at):
    emails.update(status=EmailStatus.SENT, attempts=1, created_at=at, next_attempt_at=at,
                  sent_at=at + datetime.timedelta(minutes=2))  # fmt: skip


def _consumptions(structures, first, last, staff):
    """The roll call of the days gone by (H1): each accepted booking attended,
    now and then an absence; times as booked."""
    rng = random.Random("demo-consumptions")  # noqa: S311
    rows = []
    bookings = (
        Booking.objects.filter(
            activity__structure__in=structures, date__range=(first, last), status=BookingStatus.ACCEPTED
        )
        .select_related("activity")
        .order_by("pk")
    )
    for booking in bookings:
        present = rng.random() > 0.07
        rows.append(
            Consumption(
                child_id=booking.child_id, activity_id=booking.activity_id, date=booking.date, present=present,
                arrival=booking.arrival if present else None, departure=booking.departure if present else None,
                recorded_by=staff[booking.activity.structure_id],
                recorded_at=_at(booking.date, 18, 30) if booking.activity.has_times else _at(booking.date, 12, 0),
            )
        )  # fmt: skip
    Consumption.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return len(rows)


def _opening_tonight(now):
    """When the étude's bookings open: today at 18:00, or tomorrow 18:00 when it is already late."""
    local = timezone.localtime(now)
    day = local.date() if local.time() < datetime.time(17, 0) else local.date() + datetime.timedelta(days=1)
    return _at(day, 18, 0)


@transaction.atomic
def load_demo(today=None, now=None):
    """Create (or complete) the demo data; returns the logins to print.

    Everything static (structures, activities, openings, families, accounts) is
    found by its natural key before being created. The bookings, consumptions
    and runs are made once, the first time, through the engine, at moments in the past: the
    previous month's bookings were confirmed around the 10th of the month before, the current
    month's likewise, the next month's three days ago; a run each time after;
    last night's run at 02:00 leaves its comptes-rendus in the outbox, for the
    demo's worker to send. `now` (or 15:00 on `today`) is the present."""
    if now is None:
        now = _at(today, 15, 0) if today else timezone.now()
    today = timezone.localdate(now)
    start, end = school_year(today)
    password = make_password(DEMO_PASSWORD)  # one hash for every demo account: Argon2 is slow on purpose

    carteville, _ = Structure.objects.get_or_create(
        name="Mairie de CarteVille",
        defaults={
            "email": "enfance@carteville.example.org",
            "phone": "01 23 45 67 89",
            "address": "1 place de la Mairie\n75000 CarteVille",
        },
    )
    pinsons, _ = Structure.objects.get_or_create(
        name="Accueil de loisirs Les Pinsons",
        defaults={
            "email": "accueil@lespinsons.example.org",
            "phone": "01 98 76 54 32",
            "address": "12 chemin des Pinsons\n75000 CarteVille",
        },
    )
    for structure in (carteville, pinsons):
        for label, first, last in demo_holidays(start):
            ClosedPeriod.objects.get_or_create(
                structure=structure, label=label, start_date=first, defaults={"end_date": last}
            )

    deadlines = {
        "booking_deadline_days": 2,
        "booking_deadline_time": datetime.time(10, 0),
        "cancellation_deadline_days": 2,
        "cancellation_deadline_time": datetime.time(10, 0),
        "cancellation_deadline_count": DayCount.WORKING,
    }
    aps_matin = _activity(
        carteville, "APSM", start, end, name="APS MATIN", colour="#F4A300", is_limited=True, capacity=12,
        waiting_list_capacity=4, has_times=True, earliest_time=datetime.time(7, 30),
        latest_time=datetime.time(8, 30), time_step_minutes=15, **deadlines,
    )  # fmt: skip
    restauration = _activity(
        carteville, "REST", start, end, name="RESTAURATION", colour="#2E7D32", is_limited=False, serves_meal=True,
        booking_deadline_count=DayCount.WORKING, **{**deadlines, "booking_deadline_days": 3},
    )  # fmt: skip
    alsh_mercredi = _activity(
        carteville, "ALSHM", start, end, name="ALSH MERCREDI", colour="#6A1B9A", is_limited=True, capacity=24,
        waiting_list_capacity=6, **{**deadlines, "booking_deadline_days": 7},
    )  # fmt: skip
    aps_soir = _activity(
        carteville, "APSS", start, end, name="APS SOIR", colour="#1565C0", is_limited=True, capacity=20,
        has_times=True, earliest_time=datetime.time(16, 30), latest_time=datetime.time(18, 30),
        time_step_minutes=15, **deadlines,
    )  # fmt: skip
    pinsons_mercredi = _activity(
        pinsons, "ALSHM", start, end, name="ALSH MERCREDI", colour="#C62828", is_limited=True, capacity=16,
        waiting_list_capacity=4, **{**deadlines, "booking_deadline_days": 7},
    )  # fmt: skip
    pinsons_repas = _activity(
        pinsons, "REPAS", start, end, name="RESTAURATION", colour="#00838F", is_limited=False, serves_meal=True,
        **deadlines,
    )  # fmt: skip

    for activity, weekdays in [
        (aps_matin, SCHOOL_DAYS),
        (restauration, SCHOOL_DAYS),
        (aps_soir, SCHOOL_DAYS),
        (alsh_mercredi, {WED}),
        (pinsons_mercredi, {WED}),
        (pinsons_repas, {WED}),
    ]:
        create_openings(activity, start, end, weekdays)

    # The étude of the next months: its bookings open tonight (the calendar says
    # when, then counts down), from the first day of next month.
    next_first = _month(today)[1] + datetime.timedelta(days=1)
    etude = None
    if next_first < end:
        etude = _activity(
            carteville, "ETUDE", next_first, end, name="ÉTUDE SURVEILLÉE", colour="#5D4037", is_limited=True,
            capacity=15, waiting_list_capacity=5, bookings_open_at=_opening_tonight(now), **deadlines,
        )  # fmt: skip
        create_openings(etude, next_first, end, SCHOOL_DAYS)

    pw = {"password": password}
    dupont = _account("dupont", "Jean-Paul", "DUPONT", "jean-paul.dupont@example.org", **pw)
    dupont_marie = _account("dupont.marie", "Marie", "DUPONT", "marie.dupont@example.org", **pw)
    martin = _account("martin", "Luc", "MARTIN", "luc.martin@example.org", **pw)
    bernard = _account("bernard", "Sophie", "BERNARD", **pw)
    petit = _account("petit", "Nadia", "PETIT", "nadia.petit@example.org", **pw)
    staff_carteville = _account(
        "agent.carteville", "Claire", "LEROY", "claire.leroy@carteville.example.org", staff=True, **pw
    )
    staff_pinsons = _account(
        "agent.pinsons", "Karim", "HADDAD", "karim.haddad@lespinsons.example.org", staff=True, **pw
    )
    _account("admin", "Admin", "SITE", "admin@example.org", superuser=True, **pw)
    # The other staff roles (issue 18 point 7), so that a town can try them.
    manager_carteville = _account(
        "responsable.carteville", "Hélène", "GARNIER", "helene.garnier@carteville.example.org", staff=True, **pw
    )
    animator_carteville = _account("animateur.carteville", "Yanis", "MOREL", staff=True, **pw)
    for account, role in ((manager_carteville, StaffRole.RESPONSABLE), (animator_carteville, StaffRole.ANIMATEUR)):
        if account.staff_role != role:
            account.staff_role = role
            account.save(update_fields=["staff_role"])
    carteville.staff.add(staff_carteville, manager_carteville, animator_carteville)
    pinsons.staff.add(staff_pinsons)

    paolo_amalia = [
        ("Paolo", datetime.date(start.year - 9, 5, 2), "CM1"),
        ("Amalia", datetime.date(start.year - 7, 8, 21), "CE1"),
    ]
    _, dupont_a = _family(carteville, "DUP001", "M.", "DUPONT", "Jean-Paul", [dupont, dupont_marie], paolo_amalia)
    _, dupont_b = _family(pinsons, "P-DUPONT", "M.", "DUPONT", "Jean-Paul", [dupont], paolo_amalia)
    _, martin_kids = _family(
        carteville, "MAR002", "M.", "MARTIN", "Luc", [martin], [("Léo", datetime.date(start.year - 8, 1, 9), "CE2")]
    )
    _, bernard_kids = _family(
        carteville, "BER003", "Mme", "BERNARD", "Sophie", [bernard],
        [("Chloé", datetime.date(start.year - 6, 11, 30), "CP"), ("Hugo", datetime.date(start.year - 10, 4, 4), "CM2")],
    )  # fmt: skip
    _, petit_kids = _family(
        pinsons, "P-PETIT", "Mme", "PETIT", "Nadia", [petit], [("Inès", datetime.date(start.year - 7, 6, 15), "CE1")]
    )

    carteville_activities = [aps_matin, restauration, alsh_mercredi, aps_soir]
    pinsons_activities = [pinsons_mercredi, pinsons_repas]
    others = []  # (family, account, children, plans by child, CarteVille?)
    for structure, prefix, names, activities in [
        (carteville, "CV", CARTEVILLE_FAMILIES, carteville_activities),
        (pinsons, "P-", PINSONS_FAMILIES, pinsons_activities),
    ]:
        for index, (name, civility, first_name) in enumerate(names, 1):
            family, kids = _other_family(structure, prefix, index, name, civility, first_name, start, password)
            _enrol(kids, activities, start, end)
            others.append((family, family.accounts.get(), kids, structure == carteville))
    _enrol(dupont_a + martin_kids + bernard_kids, carteville_activities, start, end)
    _enrol(dupont_b + petit_kids, pinsons_activities, start, end)
    if etude is not None:
        older = [kid for _, _, kids, cv in others if cv for kid in kids if kid.school_class in {"CE2", "CM1", "CM2"}]
        _enrol([dupont_a[0], *martin_kids, *older], [etude], start, end)

    for structure, title, text in [
        (carteville, "Bienvenue sur le Portail Famille",
         "Réservez l'accueil périscolaire, la restauration et les mercredis de vos enfants en ligne.\n"
         "Pensez à renseigner votre adresse e-mail dans votre profil pour recevoir le compte-rendu de vos réservations."),
        (carteville, "Menus de la restauration scolaire", "Les menus du mois sont affichés à l'entrée de l'école."),
        (pinsons, "Programme des mercredis", "Sortie nature et ateliers cuisine : le programme est disponible à l'accueil."),
    ]:  # fmt: skip
        InfoMessage.objects.get_or_create(structure=structure, title=title, defaults={"text": text})

    family_a = Family.objects.get(structure=carteville, reference="DUP001")
    # The demo's life is made once: its mark is a confirmation of one of the ~40
    # other families (not DUPONT's, for whom a visitor of an older demo may have booked).
    if not Confirmation.objects.filter(family__in=[family for family, *_ in others]).exists():
        families = [
            (family_a, dupont, dupont_a, True),
            (Family.objects.get(structure=carteville, reference="MAR002"), martin, martin_kids, True),
            (Family.objects.get(structure=carteville, reference="BER003"), bernard, bernard_kids, True),
            (Family.objects.get(structure=pinsons, reference="P-DUPONT"), dupont, dupont_b, False),
            (Family.objects.get(structure=pinsons, reference="P-PETIT"), petit, petit_kids, False),
            *others,
        ]
        _live(
            now, [carteville, pinsons], families, carteville_activities, pinsons_activities,
            staff={carteville.pk: staff_carteville, pinsons.pk: staff_pinsons},
        )  # fmt: skip
    # Issue 17: DUPONT's family file (after its bookings: its absence is on a booked day).
    load_family_file(carteville, family_a, (dupont, dupont_marie), staff_carteville, now)
    # Issue 16: prices, QFs, the previous month invoiced, some paid, one overdue (after
    # the bookings, and DUPONT's address: the invoices print it).
    load_billing(
        carteville, pinsons, now, staff={carteville.pk: staff_carteville, pinsons.pk: staff_pinsons},
        school_start=start, school_end=end,
    )  # fmt: skip

    return [
        Login("Parent (familles DUPONT dans les deux structures)", dupont.username),
        Login("Second parent DUPONT (CarteVille)", dupont_marie.username),
        Login("Autre famille (MARTIN, CarteVille)", martin.username),
        Login("Agent de la Mairie de CarteVille (back office)", staff_carteville.username),
        Login("Agent des Pinsons (back office)", staff_pinsons.username),
        Login("Responsable de CarteVille (crée les comptes du personnel)", manager_carteville.username),
        Login("Animateur de CarteVille (pointage et planning du jour)", animator_carteville.username),
        Login("Administrateur du site (back office)", "admin"),
    ]


def _dupont_plans(child, activities):
    aps_matin, restauration, alsh_mercredi, aps_soir = activities
    if child.first_name == "Paolo":
        return [Plan(restauration, frozenset(SCHOOL_DAYS)), Plan(aps_matin, frozenset({MON, THU}), T(7, 45), T(8, 30)),
                Plan(aps_soir, frozenset({TUE}), T(16, 30), T(18, 0)), Plan(alsh_mercredi, frozenset({WED}))]  # fmt: skip
    return [Plan(restauration, frozenset(SCHOOL_DAYS)), Plan(aps_soir, frozenset({TUE, FRI}), T(16, 30), T(17, 45)),
            Plan(alsh_mercredi, frozenset({WED}))]  # fmt: skip


def _live(now, structures, families, carteville_activities, pinsons_activities, *, staff):
    """The months gone by, through the engine (see load_demo)."""
    today = timezone.localdate(now)
    current_first, current_last = _month(today)
    previous_first, previous_last = _month(current_first - datetime.timedelta(days=1))
    next_first, next_last = _month(current_last + datetime.timedelta(days=1))
    aps_matin = carteville_activities[0]
    dupont_family = families[0][0]

    plans = {}
    for family, _account, kids, carteville in families:
        for kid in kids:
            if family.last_name == "DUPONT":
                plans[kid.pk] = (
                    _dupont_plans(kid, carteville_activities)
                    if carteville
                    else [Plan(pinsons_activities[0], frozenset({WED})), Plan(pinsons_activities[1], frozenset({WED}))]
                )
            else:
                rng = random.Random(f"demo-plans-{family.reference}-{kid.first_name}")  # noqa: S311
                plans[kid.pk] = _plans(
                    kid, rng, carteville, carteville_activities if carteville else pinsons_activities
                )

    def book_month(first, last, confirmed_at, skip=()):
        for family, account, kids, carteville in families:
            booker = _Booker(family, account, confirmed_at)
            booker.read(kids, carteville_activities if carteville else pinsons_activities, first, last)
            for kid in kids:
                for plan in plans[kid.pk]:
                    booker.mark(kid, plan, [d for d in _days(first, last, plan.weekdays) if d not in skip])
            booker.confirm()

    # The previous and the current month, each booked around the 10th of the month before
    # (before its holidays: a délai counted in working days skips them), then transmitted.
    for first, last in [(previous_first, previous_last), (current_first, current_last)]:
        book_month(first, last, _at(first - datetime.timedelta(days=20), 9, 0))
        for structure in structures:
            started = _at(first - datetime.timedelta(days=19), 2, 0)
            _mark_sent(_run(structure, started)[1], started + datetime.timedelta(minutes=1))

    # The next month, booked three days ago; APS MATIN's days `full` and `freed`
    # are left to chosen children, so that one day is full (places and waiting
    # list) and DUPONT's children wait or are refused, and one place is given
    # from the waiting list when a family cancels.
    three_days_ago = _at(today - datetime.timedelta(days=3), 9, 0)
    apsm_days = sorted(
        set(aps_matin.openings.filter(date__range=(next_first, next_last)).values_list("date", flat=True))
    )
    chosen = [d for d in apsm_days if d.weekday() in {MON, THU}][:2]
    others = families[1:]
    book_month(next_first, next_last, three_days_ago, skip=set(chosen))
    if len(chosen) == 2:
        full, freed = chosen
        fillers = [(f, a, kid) for f, a, kids, cv in others if cv for kid in kids]
        capacity, waiting = aps_matin.capacity, aps_matin.waiting_list_capacity
        plan = Plan(aps_matin, frozenset(SCHOOL_DAYS), T(7, 30), T(8, 30))
        for day, count in [(full, capacity + waiting - 1), (freed, capacity)]:
            for family, account, kid in fillers[:count]:
                booker = _Booker(family, account, three_days_ago)
                booker.mark(kid, plan, [day])
                booker.confirm()
        dupont_booker = _Booker(dupont_family, families[0][1], three_days_ago + datetime.timedelta(hours=2))
        for kid in families[0][2]:
            dupont_booker.mark(kid, Plan(aps_matin, frozenset(SCHOOL_DAYS), T(7, 45), T(8, 30)), [full, freed])
        dupont_booker.confirm()  # Paolo waits on both days; Amalia waits on `freed`, `full` is full for her
        family, account, kid = fillers[0]
        canceller = _Booker(family, account, _at(today - datetime.timedelta(days=2), 18, 30))
        canceller.mark(kid, plan, [freed])
        canceller.confirm()  # a place freed: Paolo, first in line, gets it (and his parents an e-mail)

    # Last night's run: its comptes-rendus wait in the outbox for the demo's worker.
    last_night = _at(
        today if timezone.localtime(now).time() >= datetime.time(2, 30) else today - datetime.timedelta(days=1), 2, 0
    )
    for structure in structures:
        _run(structure, last_night)

    # Today, after the run: two more days for Paolo, « Non transmis » until tonight.
    aps_soir = carteville_activities[3]
    late = _Booker(dupont_family, families[0][1], now)
    late.mark(families[0][2][0], Plan(aps_soir, frozenset({THU}), T(16, 30), T(17, 30)),
              _days(next_first, next_last, {THU})[:2])  # fmt: skip
    late.confirm()

    # The roll call of the last two months, up to yesterday.
    _consumptions(structures, previous_first, today - datetime.timedelta(days=1), staff)
