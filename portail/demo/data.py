"""Demo data: "Mairie de CarteVille" and "Accueil de loisirs Les Pinsons",
the DUPONT family of the manual in both, a few other families, the manual's
activities with openings for the current school year. Idempotent: every row
is found by its natural key before being created."""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from portail.accounts.models import User
from portail.booking.models import ProcessingRun
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


def _account(username, first_name, last_name, email="", staff=False, superuser=False):
    user, _ = User.objects.get_or_create(
        username=username,
        defaults={"first_name": first_name, "last_name": last_name, "email": email},
    )
    user.is_staff = staff or superuser
    user.is_superuser = superuser
    user.set_password(DEMO_PASSWORD)
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


@transaction.atomic
def load_demo(today=None):
    """Create (or complete) the demo data; returns the logins to print."""
    today = today or timezone.localdate()
    start, end = school_year(today)

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

    dupont = _account("dupont", "Jean-Paul", "DUPONT", "jean-paul.dupont@example.org")
    dupont_marie = _account("dupont.marie", "Marie", "DUPONT", "marie.dupont@example.org")
    martin = _account("martin", "Luc", "MARTIN", "luc.martin@example.org")
    bernard = _account("bernard", "Sophie", "BERNARD")
    petit = _account("petit", "Nadia", "PETIT", "nadia.petit@example.org")
    staff_carteville = _account(
        "agent.carteville", "Claire", "LEROY", "claire.leroy@carteville.example.org", staff=True
    )
    staff_pinsons = _account("agent.pinsons", "Karim", "HADDAD", "karim.haddad@lespinsons.example.org", staff=True)
    _account("admin", "Admin", "SITE", "admin@example.org", superuser=True)
    carteville.staff.add(staff_carteville)
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

    _enrol(dupont_a + martin_kids + bernard_kids, [aps_matin, restauration, alsh_mercredi, aps_soir], start, end)
    _enrol(dupont_b + petit_kids, [pinsons_mercredi, pinsons_repas], start, end)

    for structure, title, text in [
        (carteville, "Bienvenue sur le Portail Famille",
         "Réservez l'accueil périscolaire, la restauration et les mercredis de vos enfants en ligne.\n"
         "Pensez à renseigner votre adresse e-mail dans votre profil pour recevoir le compte-rendu de vos réservations."),
        (carteville, "Menus de la restauration scolaire", "Les menus du mois sont affichés à l'entrée de l'école."),
        (pinsons, "Programme des mercredis", "Sortie nature et ateliers cuisine : le programme est disponible à l'accueil."),
    ]:  # fmt: skip
        InfoMessage.objects.get_or_create(structure=structure, title=title, defaults={"text": text})

    if not ProcessingRun.objects.filter(structure=carteville).exists():
        last_night = timezone.make_aware(datetime.datetime.combine(today, datetime.time(2, 0)))
        ProcessingRun.objects.create(structure=carteville, started_at=last_night, finished_at=last_night)

    return [
        Login("Parent (familles DUPONT dans les deux structures)", dupont.username),
        Login("Second parent DUPONT (CarteVille)", dupont_marie.username),
        Login("Autre famille (MARTIN, CarteVille)", martin.username),
        Login("Agent de la Mairie de CarteVille (back office)", staff_carteville.username),
        Login("Agent des Pinsons (back office)", staff_pinsons.username),
        Login("Administrateur du site (back office)", "admin"),
    ]
