"""Issue 14 point 1: every page a parent sees fits a phone. With the dense
demo data (portail.demo.data.load_demo, plus a confirmation with every
outcome and two months of consumptions made here through the engine), at
320, 375 and 1280 px: the page never scrolls sideways, every table cell (the
result's "Résultat" remark above all) lies inside the viewport and inside any
scroll box around it, buttons and days are at least 44 × 44 px (WCAG 2.5.5;
24 px at 320), and at 375 px the header takes at most 120 px and axe finds
nothing serious.

The list of pages is checked against portail/family/urls.py and
portail/accounts/urls.py: a new URL fails the guard until it is listed here."""

import datetime

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import expect

from portail.accounts import urls as account_urls
from portail.accounts.models import User
from portail.booking import drafts
from portail.booking.confirm import confirm_draft
from portail.booking.errors import BookingError
from portail.booking.models import Booking, BookingStatus, Consumption
from portail.demo.data import DEMO_PASSWORD, load_demo
from portail.dossier.models import AuthorisedPerson
from portail.family import urls as family_urls
from portail.structures.models import Family
from tests.browser.header import open_menu
from tests.browser.login import login_family

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (320, 375, 1280)
HEADER_MAX_HEIGHT = 120  # px at 375 px wide
TOUCH_TARGET = 44  # px, WCAG 2.5.5
MIN_TARGET_320 = 24  # px, WCAG 2.5.8
AXE = Axe()
BLOCKING = ("serious", "critical")

# Every URL of the family site and of the accounts app, and how this test sees it.
# POST-only endpoints are reached through the page that posts to them.
COVERAGE = {
    "family:home": "visited (info messages)",
    "family:switch_structure": "POST: the header's structure switch, at login",
    "family:reserve": "visited: child choice, one activity (this month and next), all activities",
    "family:toggle_day": "POST (htmx): days clicked on the calendar before the recap",
    "family:toggle_set": "POST (htmx): the quick tools, same calendar and cells as toggle_day",
    "family:day_panel": "GET (htmx): opened by clicking a day of the all-activities calendar",
    "family:opening": "GET (htmx): polled by a calendar counting down to an opening; its answer is the calendar",
    "family:copy": "visited: the form and its result (with the days not copied)",
    "family:discard": "POST: the recap's Abandonner button, on the recap page",
    "family:recap": "visited",
    "family:confirm": "POST: its answer is the result page's content (family/_result.html)",
    "family:result": "visited: a confirmation with a place, a waiting list and a refusal",
    "family:reservations": "visited: all, and next month",
    "family:cancel": "POST: the buttons of Mes réservations",
    "family:history": "visited: current and previous month",
    "family:invoices": "visited: « Factures » (an invoice due at least), then again with the bank's answer",
    "family:pay": "POST: « Payer en ligne », to the simulated bank, whose page is checked too",
    "family:payment_return": "GET: back from the bank (Abandonner), redirected to « Factures » with the message",
    "family:invoice_pdf": "a file (the invoice's PDF, linked from « Factures »): read back in tests/billing/test_pdf.py",
    "family:my_data": "visited: « Mes données » (the JSON and HTML downloads are files)",
    "family:dossier": "visited: « Mon dossier » (household, parents, children)",
    "family:dossier_household": "visited: the household's form",
    "family:dossier_guardian": "visited: a parent's form (the first parent of the demo family)",
    "family:dossier_guardian_new": "visited: « Ajouter un parent »",
    "family:dossier_child": "visited: a child's form (class; name and birth date locked)",
    "family:health": "visited: Paolo's health sheet",
    "family:authorised_people": "visited: Paolo's people allowed to collect him (with one) and the add form",
    "family:authorised_person_edit": "visited: the edit form of one of them",
    "family:authorised_person_delete": "POST: the « Retirer » button of the people page",
    "family:documents": "visited: « Mes documents » (a validated, a refused and a pending file, long names)",
    "family:document_upload": "POST: the form of « Mes documents », answered with the page (a refusal shown)",
    "family:document_file": "GET: a file of the family (the page's links); not a page",
    "family:absences": "visited: « Absences », and with a child and days chosen (the booked days covered)",
    "family:absence_declare": "POST: the declaration form of « Absences »",
    "accounts:invite_parent": "visited: « Inviter l'autre parent »",
    "accounts:invitation": "visited: an unknown invitation link",
    "accounts:profile": "visited (password, e-mail, question, language)",
    "accounts:language": "POST: the header's and the profile's language form",
    "accounts:profile_password": "POST: the profile's forms, answered with the profile page",
    "accounts:profile_email": "POST: idem",
    "accounts:profile_question": "POST: idem",
    "accounts:recovery": "visited, logged out",
    "accounts:recovery_question": "visited, logged out (the identifiant step)",
    "accounts:recovery_email": "visited, logged out",
    "accounts:recovery_email_sent": "visited, logged out",
    "accounts:recovery_link": "visited, logged out: an invalid link",
    "accounts:recovery_password": "visited, logged out (without a valid link: sent back)",
}


def test_every_family_and_account_url_is_in_the_layout_test():
    names = {f"family:{p.name}" for p in family_urls.urlpatterns} | {
        f"accounts:{p.name}" for p in account_urls.urlpatterns
    }
    assert names - COVERAGE.keys() == set(), "new URL: add it to COVERAGE and visit it below"
    assert COVERAGE.keys() - names == set(), "URL gone: remove it from COVERAGE"


# ------------------------------------------------------------------ data


def _add_consumptions(family, today):
    """Two months of attendance for every child (staff record these; no booking rule involved)."""
    first = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    activities = list(family.structure.activities.order_by("name"))
    day = first
    while day <= today:
        if day.weekday() < 5:
            for child in family.children.all():
                for activity in activities:
                    if activity.openings.filter(date=day).exists():
                        Consumption.objects.get_or_create(
                            child=child, activity=activity, date=day,
                            defaults={"present": day.day % 7 != 3,
                                      "arrival": datetime.time(7, 45) if activity.has_times else None,
                                      "departure": datetime.time(8, 30) if activity.has_times else None},
                        )  # fmt: skip
        day += datetime.timedelta(days=1)


def _confirmation_with_every_outcome(family, account):
    """Through the engine: three Wednesdays marked, then the second made full
    (waiting list) and the third full with a full waiting list (refusal), as
    if other families had taken the places between the click and Confirmer."""
    now = timezone.now()
    activity = family.structure.activities.filter(is_limited=True, has_times=False).order_by("name").first()
    child = family.children.order_by("first_name").first()
    draft = drafts.get_draft(family, account)
    marked = []
    for opening in activity.openings.filter(date__gte=timezone.localdate() + datetime.timedelta(days=14)).order_by(
        "date"
    ):
        if Booking.objects.filter(child=child, activity=activity, date=opening.date).exists():
            continue
        try:
            drafts.toggle_day(draft, child, activity, opening.date, now=now)
        except BookingError:
            continue
        marked.append(opening)
        if len(marked) == 3:
            break
    assert len(marked) == 3, "the demo data has no three bookable days left for the result page"
    for opening, waiting_room in ((marked[1], 5), (marked[2], 0)):
        taken = Booking.objects.filter(activity=activity, date=opening.date)
        accepted = taken.filter(status=BookingStatus.ACCEPTED).count()
        waitlisted = taken.filter(status=BookingStatus.WAITLISTED).count()
        opening.capacity = accepted
        opening.waiting_list_capacity = waitlisted + waiting_room
        opening.save(update_fields=["capacity", "waiting_list_capacity"])
    draft.refresh_from_db()
    result = confirm_draft(draft, draft.token, user=account)
    assert result.confirmation is not None, result.error
    assert result.waitlisted and result.refused, "the result page must show both remarks"
    return result.confirmation


@pytest.fixture
def dense(db):
    load_demo()
    dupont = User.objects.get(username="dupont")
    family = Family.objects.get(accounts=dupont, structure__name="Mairie de CarteVille")
    _add_consumptions(family, timezone.localdate())
    User.objects.create_user(username="sans.famille", password=DEMO_PASSWORD, first_name="Léa", last_name="SANS")
    confirmation = _confirmation_with_every_outcome(family, dupont)
    return family, confirmation


# ------------------------------------------------------------------ measures

# Every rendered table cell: inside the viewport, and inside every box around it
# that clips or scrolls (a cell the parent must scroll a table to read fails).
CELLS_OUTSIDE = """() => {
  const width = window.innerWidth, out = [];
  const clippers = (cell) => {
    const boxes = [];
    for (let box = cell.parentElement; box && box !== document.body; box = box.parentElement) {
      if (getComputedStyle(box).overflowX !== 'visible') boxes.push(box);
    }
    return boxes;
  };
  for (const cell of document.querySelectorAll('table td, table th')) {
    const r = cell.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const boxes = clippers(cell);
    // Visually hidden on purpose, for screen readers (the sr-only pattern: a 1 px clipping box).
    if (boxes.some(b => { const q = b.getBoundingClientRect(); return q.width <= 1 && q.height <= 1; })) continue;
    const name = (cell.dataset.label ? cell.dataset.label + ': ' : '') + cell.innerText.trim().slice(0, 40);
    if (r.left < -0.5 || r.right > width + 0.5) {
      out.push(`${name} — outside the viewport (${Math.round(r.left)} to ${Math.round(r.right)} px)`);
      continue;
    }
    const cut = boxes.find(b => { const q = b.getBoundingClientRect(); return r.left < q.left - 0.5 || r.right > q.right + 0.5; });
    if (cut) out.push(`${name} — cut by a ${Math.round(cut.getBoundingClientRect().width)} px scroll box`);
  }
  return out;
}"""

SMALL_TARGETS = """(min) => {
  const out = [];
  for (const el of document.querySelectorAll('button, a.button, summary, [role=button], input[type=submit]')) {
    const r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1 || getComputedStyle(el).visibility === 'hidden') continue;
    if (r.width < min - 0.5 || r.height < min - 0.5) {
      out.push(`${(el.innerText || el.getAttribute('aria-label') || el.id).trim().slice(0, 30)} ${Math.round(r.width)}×${Math.round(r.height)}`);
    }
  }
  return out;
}"""


class Layout:
    def __init__(self, page, width):
        self.page, self.width, self.problems = page, width, []
        # A page drawn by the 500 handler, or an htmx call that failed, would pass every measure.
        page.on("response", self._server_error)

    def _server_error(self, response):
        if response.status >= 500:
            self.problems.append(f"@{self.width}: {response.status} on {response.request.method} {response.url}")

    def check(self, screen):
        page, width = self.page, self.width
        page.wait_for_load_state("load")
        wide = page.evaluate("document.scrollingElement.scrollWidth")
        if wide > page.evaluate("window.innerWidth"):
            self.problems.append(f"{screen} @{width}: the page scrolls sideways ({wide} px wide)")
        cells = page.evaluate(CELLS_OUTSIDE)
        if cells:
            self.problems.append(f"{screen} @{width}: {len(cells)} table cells not readable in place, e.g. {cells[:3]}")
        # 44 px (WCAG 2.5.5) on a phone and a desktop; at 320 px seven days of 44 px and the week's
        # tool cannot sit side by side, so there the floor is WCAG 2.5.8's 24 px.
        floor = TOUCH_TARGET if width >= 375 else MIN_TARGET_320
        small = page.evaluate(SMALL_TARGETS, floor)
        if small:
            self.problems.append(f"{screen} @{width}: targets under {floor} px: {small[:6]}")
        if width == 375:
            header = page.locator("header.site-header")
            if header.count():
                height = header.evaluate("h => h.getBoundingClientRect().height")
                if height > HEADER_MAX_HEIGHT:
                    self.problems.append(f"{screen} @{width}: header {height:.0f} px high")
            for violation in AXE.run(page).response["violations"]:
                if violation["impact"] in BLOCKING:
                    targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]][:4]
                    self.problems.append(f"{screen} @{width}: axe {violation['impact']} {violation['id']} {targets}")


def _log_in(page, base, username="dupont"):
    if username != "dupont":
        login_family(page, base, username, DEMO_PASSWORD)
        return
    login_family(page, base, username, DEMO_PASSWORD, structure="Mairie de CarteVille")
    expect(page.get_by_role("heading", name="Accueil", exact=True)).to_be_visible()


def _visit_invoices(page, base, family, layout):
    """« Factures » with an invoice due, the simulated bank's page, and the return (issue 16 points 3, 4)."""
    from portail.billing.models import BillingSettings
    from tests.billing.invoice_rows import make_invoice

    BillingSettings.objects.update_or_create(structure=family.structure, defaults={"payment_backend": "simulated"})
    if not family.invoices.filter(kind="invoice", settled_cents=0).exists():
        # A month the demo never invoices, so no constraint meets the demo's own invoices.
        make_invoice(family, month=datetime.date(2021, 1, 1), number=999_999,
                     due_date=timezone.localdate() + datetime.timedelta(days=30))  # fmt: skip
    page.goto(f"{base}/factures/")
    expect(page.get_by_test_id("invoices")).to_be_visible()
    layout.check("Factures")
    page.get_by_test_id("pay-all").click()
    expect(page.get_by_test_id("simbank")).to_be_visible()
    layout.check("simulated bank")
    page.get_by_role("button", name="Abandonner").click()
    expect(page.get_by_text("Paiement abandonné")).to_be_visible()
    layout.check("Factures, back from the bank")


def _documents_to_show(family, child):
    """What CarteVille asks and what the family sent: every state of « Mes documents », long names."""
    from django.core.files.base import ContentFile

    from portail.dossier.models import Document, DocumentStatus, DocumentType

    insurance = DocumentType.objects.get_or_create(structure=family.structure, name="Assurance")[0]
    medical = DocumentType.objects.get_or_create(
        structure=family.structure, name="Certificat médical de non contre-indication", defaults={"per_child": True}
    )[0]
    rows = [
        (insurance, None, DocumentStatus.VALIDATED, "", "attestation-assurance-responsabilite-civile-2026-2027.pdf"),
        (medical, child, DocumentStatus.REFUSED, "Le certificat n'est ni daté ni signé par le médecin", "certif.jpg"),
        (medical, child, DocumentStatus.PENDING, "", "certificat-medical-scan-du-27-novembre.pdf"),
    ]
    for doc_type, doc_child, status, reason, name in rows:
        if not Document.objects.filter(family=family, original_name=name).exists():
            document = Document(family=family, doc_type=doc_type, child=doc_child, status=status, refusal_reason=reason,
                                original_name=name, content_type="application/pdf", size=20,
                                valid_until=timezone.localdate() + datetime.timedelta(days=200))  # fmt: skip
            document.file.save("x.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"))


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_fits_the_phone(browser, live_server, dense, width):
    family, confirmation = dense
    base = live_server.url
    paolo = family.children.get(first_name="Paolo")
    amalia = family.children.get(first_name="Amalia")
    aps = family.structure.activities.get(code="APSM")
    today = timezone.localdate()
    this_month = f"{today:%Y-%m}"
    next_month = f"{(today.replace(day=28) + datetime.timedelta(days=4)):%Y-%m}"
    previous_month = f"{(today.replace(day=1) - datetime.timedelta(days=1)):%Y-%m}"
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(15_000)
    layout = Layout(page, width)
    try:
        # Logged out: login and recovery.
        for screen, path in [
            ("login", "/connexion/"),
            ("recovery", "/compte/mot-de-passe-oublie/"),
            ("recovery e-mail", "/compte/mot-de-passe-oublie/e-mail/"),
            ("recovery e-mail sent", "/compte/mot-de-passe-oublie/e-mail/envoye/"),
            ("recovery question", "/compte/mot-de-passe-oublie/question/"),
            ("recovery invalid link", "/compte/mot-de-passe-oublie/lien/Mg/bad-token/"),
            ("recovery new password", "/compte/mot-de-passe-oublie/nouveau/"),
        ]:
            page.goto(base + path)
            layout.check(screen)

        _log_in(page, base)
        layout.check("home")

        reserve = f"{base}/reserver/"
        page.goto(reserve)
        layout.check("reserve: child choice")
        for month in (this_month, next_month):
            page.goto(f"{reserve}?enfant={paolo.pk}&activite={aps.pk}&mois={month}")
            layout.check(f"reserve: APS MATIN {month}")

        # All activities of next month, a day panel open.
        page.goto(f"{reserve}?enfant={paolo.pk}&mois={next_month}")
        day = aps.openings.filter(date__gte=f"{next_month}-01").order_by("date").values_list("date", flat=True)[0]
        page.locator(f"#d-{day.isoformat()}").click()
        expect(page.get_by_test_id("day-panel")).to_be_visible()
        layout.check("reserve: all activities, day panel")

        page.goto(f"{base}/reserver/recopier/?enfant={amalia.pk}&activite={aps.pk}&mois={next_month}")
        layout.check("copy form")
        page.get_by_label("Enfant source").select_option(label="Paolo")
        page.get_by_label("Du").fill(f"{previous_month}-01")
        page.get_by_label("Au").fill(f"{next_month}-28")
        page.get_by_role("button", name="Recopier").click()
        expect(page.get_by_test_id("copy-result")).to_be_visible()
        layout.check("copy result")

        page.goto(f"{base}/reserver/recapitulatif/")
        layout.check("recap")

        page.goto(f"{base}/reserver/resultat/{confirmation.pk}/")
        expect(page.get_by_test_id("result")).to_be_visible()
        layout.check("result")

        page.goto(f"{base}/mes-reservations/")
        layout.check("Mes réservations")
        page.goto(f"{base}/mes-reservations/?mois={next_month}")
        layout.check("Mes réservations, next month")

        for month in (this_month, previous_month):
            page.goto(f"{base}/historiques/?mois={month}")
            expect(page.get_by_test_id("history")).to_be_visible()
            layout.check(f"Historiques {month}")

        _visit_invoices(page, base, family, layout)

        page.goto(f"{base}/compte/profil/")
        layout.check("Profil")
        page.goto(f"{base}/mon-dossier/mes-donnees/")
        layout.check("Mes données")
        page.goto(f"{base}/compte/invitation/unknown-token/")
        layout.check("invitation, unknown link")
        # « Mon dossier » (issue 17 point 1) and its forms.
        page.goto(f"{base}/mon-dossier/")
        expect(page.get_by_test_id("dossier-children")).to_be_visible()
        layout.check("Mon dossier")
        forms = ["/mon-dossier/coordonnees/", "/mon-dossier/parents/ajouter/", "/compte/inviter-un-parent/"]
        forms.append(f"/mon-dossier/enfants/{family.children.order_by('pk').first().pk}/")
        if family.guardians.exists():
            forms.append(f"/mon-dossier/parents/{family.guardians.order_by('pk').first().pk}/")
        for path in forms:
            page.goto(base + path)
            layout.check(path)
        # A child's health sheet and the people allowed to collect it (issue 17 points 2, 3).
        person = AuthorisedPerson.objects.get_or_create(
            child=paolo,
            name="Josette DUPONT-LONGUENOM",
            defaults={"relationship": "grand-mère", "phone": "06 12 34 56 78"},
        )[0]
        for path in ("sante/", "personnes/", f"personnes/{person.pk}/"):
            page.goto(f"{base}/mon-dossier/enfants/{paolo.pk}/{path}")
            layout.check(f"child's {path}")

        # « Mes documents » and « Absences » (issue 17 points 4, 5).
        _documents_to_show(family, paolo)
        page.goto(f"{base}/mes-documents/")
        layout.check("Mes documents")
        page.goto(f"{base}/absences/")
        layout.check("Absences")
        page.goto(f"{base}/absences/?enfant={paolo.pk}&du={today:%Y-%m-01}&au={next_month}-28")
        layout.check("Absences: the booked days covered")

        # An account that no family lists yet (family/no_family.html), in the same header.
        open_menu(page)
        page.get_by_role("button", name="Se déconnecter").click()
        # A goto before the logout's answer could cancel it: still logged in, no login form.
        expect(page.get_by_label("Identifiant")).to_be_visible()
        _log_in(page, base, "sans.famille")
        expect(page.get_by_role("heading", name="Aucune famille rattachée")).to_be_visible()
        layout.check("no family")
    finally:
        context.close()
    assert not layout.problems, "\n".join(layout.problems)
