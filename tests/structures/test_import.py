"""B4: bulk import of families, accounts, children and enrolments."""

import base64
import csv
import datetime
import io
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from portail.accounts.models import User
from portail.structures import importer
from portail.structures.import_views import SESSION_KEY
from portail.structures.models import Child, Enrolment, Family
from tests import factories as f
from tests.helpers import page_text

HEADER = importer.COLUMN_NAMES
IMPORT_URL = reverse("admin:structures_family_import")


def row(reference="F001", civility="Mme", last="DURAND", first="Anne", **extra):
    values = dict.fromkeys(HEADER, "")
    values.update(reference_famille=reference, civilite=civility, nom=last, prenom=first, **extra)
    return [values[c] for c in HEADER]


def csv_bytes(rows, header=HEADER, delimiter=";", encoding="utf-8"):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows, header=HEADER):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for values in rows:
        sheet.append(list(values))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def plan_for(structure, data, name="import.csv"):
    return importer.validate(structure, importer.parse_file(name, data))


def db_counts():
    return (Family.objects.count(), Child.objects.count(), Enrolment.objects.count(), User.objects.count())


def big_rows(families=500):
    """Each family: two children, each enrolled once; every other family has two parents' accounts."""
    rows = []
    for i in range(families):
        ref, last = f"F{i:04d}", f"NOM{i}"
        for n, code in ((1, "APSM"), (2, "REST")):
            account = f"parent{i}.{n}" if n == 1 or i % 2 == 0 else ""
            rows.append(
                row(
                    ref,
                    "M." if i % 3 else "Mme",
                    last,
                    "Parent",
                    identifiant=account,
                    email=f"{account}@example.org" if account else "",
                    enfant_prenom=f"Enfant{n}",
                    enfant_nom=last,
                    enfant_naissance=f"{n + 10:02d}/0{n}/2018",
                    activite=code,
                    inscription_debut="01/09/2026" if n == 1 else "",
                    inscription_fin="30/06/2027" if n == 1 else "",
                )
            )
    return rows


# --- The service ----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_500_families_import_in_one_go_with_bounded_queries(world, kind, django_assert_max_num_queries):
    rows = big_rows()
    data = csv_bytes(rows) if kind == "csv" else xlsx_bytes(rows)
    before = db_counts()

    started = time.perf_counter()
    plan = plan_for(world.a, data, f"familles.{kind}")
    assert plan.errors == []
    assert plan.counts.families_created == 500
    assert plan.counts.children_created == 1000
    assert plan.counts.enrolments_created == 1000
    assert plan.counts.accounts_created == 750
    with django_assert_max_num_queries(60):
        importer.apply(plan)
    elapsed = time.perf_counter() - started

    assert db_counts() == (before[0] + 500, before[1] + 1000, before[2] + 1000, before[3] + 750)
    assert elapsed < 10, f"import took {elapsed:.1f} s"
    family = Family.objects.get(structure=world.a, reference="F0002")
    assert (family.civility, family.last_name, family.first_name) == ("M.", "NOM2", "Parent")
    assert Family.objects.get(structure=world.a, reference="F0003").civility == "Mme"
    assert sorted(family.accounts.values_list("username", flat=True)) == ["parent2.1", "parent2.2"]
    paolo = family.children.get(first_name="Enfant1")
    assert paolo.birth_date == datetime.date(2018, 1, 11)
    enrolment = paolo.enrolments.get()
    assert (enrolment.activity, enrolment.start_date, enrolment.end_date) == (
        world.aps_a,
        datetime.date(2026, 9, 1),
        datetime.date(2027, 6, 30),
    )
    defaulted = family.children.get(first_name="Enfant2").enrolments.get()
    assert (defaulted.activity, defaulted.start_date, defaulted.end_date) == (
        world.cantine_a,
        world.cantine_a.booking_period_start,
        world.cantine_a.booking_period_end,
    )
    assert not Family.objects.filter(structure=world.b, reference__startswith="F0").exists()


def test_reimport_creates_nothing_new(world):
    data = csv_bytes(big_rows(20))
    importer.apply(plan_for(world.a, data))
    after_first = db_counts()
    links = Family.accounts.through.objects.count()

    second = plan_for(world.a, data)
    assert second.errors == []
    assert second.counts == importer.ImportCounts()
    importer.apply(second)
    assert db_counts() == after_first
    assert Family.accounts.through.objects.count() == links


def test_reimport_updates_changed_family_and_enrolment_end(world):
    importer.apply(plan_for(world.a, csv_bytes(big_rows(2))))
    rows = big_rows(2)
    rows[0][HEADER.index("nom")] = rows[1][HEADER.index("nom")] = "NOUVEAU"
    rows[0][HEADER.index("inscription_fin")] = "15/06/2027"
    plan = plan_for(world.a, csv_bytes(rows))
    assert plan.errors == []
    counts = plan.counts
    assert (counts.families_updated, counts.enrolments_updated, counts.families_created) == (1, 1, 0)
    importer.apply(plan)
    family = Family.objects.get(structure=world.a, reference="F0000")
    assert family.last_name == "NOUVEAU"
    assert family.children.get(first_name="Enfant1").enrolments.get().end_date == datetime.date(2027, 6, 15)


def test_every_bad_line_is_listed_and_nothing_is_written(world):
    rows = [
        row("F1", identifiant="anne.durand", email="anne@example.org"),
        row("F1", identifiant="anne durand", email="pas-une-adresse"),  # line 3
        row("F2", civility="Mr", enfant_prenom="Zoé", enfant_nom="X", enfant_naissance="31/02/2020"),  # line 4
        row("F3", enfant_prenom="Tom", enfant_nom="Y", enfant_naissance="01/01/2019", activite="XYZ"),  # line 5
        row("F1", last="DURANT"),  # line 6
        row("F4", activite="APSM"),  # line 7
        row(
            "F5",
            enfant_prenom="Léa",
            enfant_nom="Z",
            enfant_naissance="01/01/2019",
            activite="APSM",
            inscription_debut="10/10/2026",
            inscription_fin="01/10/2026",
        ),  # line 8
        row("", enfant_prenom="Sam"),  # line 9
    ] + big_rows(30)
    rows.append(row("F9", identifiant="admin"))  # the last line of an otherwise good file: no account of A
    last_line = len(rows) + 1
    before = db_counts()

    plan = plan_for(world.a, csv_bytes(rows))
    found = [(e.line, e.column, e.reason) for e in plan.errors]
    assert found == [
        (3, "identifiant", "Identifiant invalide : « anne durand » (lettres, chiffres et @ . + - _ seulement, sans espace)"),
        (3, "email", "Adresse e-mail invalide : « pas-une-adresse »"),
        (4, "civilite", "Civilité invalide : « Mr » (attendu M. ou Mme)"),
        (4, "enfant_naissance", "Date invalide : « 31/02/2020 » (attendu JJ/MM/AAAA)"),
        (5, "activite", "Activité inconnue dans cette structure : « XYZ »"),
        (6, "nom", "Nom de famille différent des autres lignes de la famille F1 (ligne 2)"),
        (7, "activite", "Une inscription demande un enfant sur la même ligne"),
        (8, "inscription_fin", "La fin de l'inscription précède son début"),
        (9, "reference_famille", "Obligatoire"),
        (9, "enfant_nom", "Obligatoire quand un enfant est indiqué sur la ligne"),
        (9, "enfant_naissance", "Obligatoire quand un enfant est indiqué sur la ligne"),
        (last_line, "identifiant", "Identifiant déjà pris : choisissez-en un autre"),
    ]  # fmt: skip
    with pytest.raises(ValueError):
        importer.apply(plan)
    assert db_counts() == before


def test_only_a_bad_last_line_blocks_the_whole_file(world, client):
    rows = big_rows(50) + [row("F999", enfant_prenom="Max", enfant_nom="B", enfant_naissance="2019-01-01")]
    before = db_counts()
    client.force_login(world.staff_a)
    upload = SimpleUploadedFile("familles.csv", csv_bytes(rows))
    page = client.post(IMPORT_URL, {"structure": world.a.pk, "file": upload})
    html = page_text(page)
    assert "1 erreur : rien ne sera importé" in html
    assert f"<td>{len(rows) + 1}</td><td>enfant_naissance</td><td>Date invalide : « 2019-01-01 »" in html
    assert "Confirmer l'import" not in html
    assert SESSION_KEY not in client.session
    page = client.post(IMPORT_URL, {"confirm": "1", "sha256": "x"})
    assert db_counts() == before


def test_existing_account_of_another_structure_is_refused_and_untouched(world, password):
    """Issue 12: linking it and filling its e-mail was the takeover (see
    tests/security/test_account_takeover.py). Now the line says only that the
    identifiant is taken, as for an identifiant of no family or of staff."""
    pinson = f.UserFactory(username="pinson", first_name="Paul", last_name="PINSON", email="")
    world.family_b.accounts.add(pinson)
    orphan = f.UserFactory(username="orphelin", email="")
    before = db_counts()
    data = csv_bytes(
        [
            row("F900", last="AUTRE", first="Nom", identifiant="pinson", email="paul@example.org", compte_nom="AUTRE"),
            row("F901", identifiant=orphan.username, email="paul@example.org"),
            row("F902", identifiant="agent.b"),
            row("F903", identifiant="Pinson"),
        ]
    )
    plan = plan_for(world.a, data)
    assert [(e.line, e.column, e.reason) for e in plan.errors] == [
        (line, "identifiant", "Identifiant déjà pris : choisissez-en un autre") for line in (2, 3, 4, 5)
    ]
    assert plan.counts.accounts_linked == plan.counts.accounts_updated == 0
    with pytest.raises(ValueError):
        importer.apply(plan)
    assert db_counts() == before
    pinson.refresh_from_db()
    assert list(pinson.families.all()) == [world.family_b]
    assert (pinson.last_name, pinson.first_name, pinson.email) == ("PINSON", "Paul", "")
    assert pinson.check_password(password)  # an import never touches a password


def test_account_of_own_structure_is_linked_and_its_empty_fields_filled(world):
    world.martin.email = ""
    world.martin.set_unusable_password()  # not invited yet
    world.martin.save(update_fields=["email", "password"])
    plan = plan_for(world.a, csv_bytes([row("F900", identifiant="martin", email="luc@example.org")]))
    assert plan.errors == [] and plan.notices == []
    assert (plan.counts.accounts_created, plan.counts.accounts_linked, plan.counts.accounts_updated) == (0, 1, 1)
    importer.apply(plan)
    world.martin.refresh_from_db()
    assert world.martin.email == "luc@example.org"
    assert set(world.martin.families.values_list("reference", flat=True)) == {"MAR", "F900"}


def test_import_never_sets_the_email_of_a_parent_who_has_a_password(world):
    """Staff would then send themselves the reset link: the import leaves it
    to the parent (profile, P2), and says so in the preview."""
    world.martin.email = world.martin.last_name = ""
    world.martin.save(update_fields=["email", "last_name"])
    plan = plan_for(world.a, csv_bytes([row("F900", last="MARTIN", identifiant="martin", email="luc@example.org")]))
    assert plan.errors == [] and plan.counts.accounts_updated == 1
    assert [(n.line, "mot de passe" in n.reason) for n in plan.notices] == [(2, True)]
    importer.apply(plan)
    world.martin.refresh_from_db()
    assert (world.martin.email, world.martin.last_name) == ("", "MARTIN")


def test_shared_account_is_linked_but_never_changed(world):
    """DUPONT opens a family of A and one of B: staff of B may link it to
    another family of B, but its e-mail is where its recovery link goes, so
    the import never fills it for them."""
    world.dupont.email = ""
    world.dupont.save(update_fields=["email"])
    plan = plan_for(world.b, csv_bytes([row("F900", identifiant="dupont", email="pirate@example.org")]))
    assert plan.errors == []
    assert (plan.counts.accounts_linked, plan.counts.accounts_updated) == (1, 0)
    assert [(n.line, n.column) for n in plan.notices] == [(2, "identifiant")]
    importer.apply(plan)
    world.dupont.refresh_from_db()
    assert world.dupont.email == ""
    assert set(world.dupont.families.values_list("structure", "reference")) == {
        (world.a.pk, "DUP"), (world.b.pk, "DUP"), (world.b.pk, "F900")
    }  # fmt: skip


def test_staff_of_two_structures_may_link_an_account_of_either(world):
    both = f.StaffFactory(username="agent.ab", structures=[world.a, world.b])
    data = csv_bytes([row("F900", identifiant="martin")])
    assert plan_for(world.b, data).errors != []  # the default: the structure imported into only
    plan = importer.validate(world.b, importer.parse_file("f.csv", data), own_structure_ids={world.a.pk, world.b.pk})
    assert plan.errors == [] and plan.counts.accounts_linked == 1
    assert both.staff_structures.count() == 2


def test_account_of_an_existing_family_is_linked_once(world):
    data = csv_bytes([row("DUP", "M.", "DUPONT", "Jean-Paul", identifiant="martin")])
    plan = plan_for(world.a, data)
    assert plan.counts.accounts_linked == 1 and plan.counts.families_updated == 0
    importer.apply(plan)
    assert set(world.family_a.accounts.values_list("username", flat=True)) == {"dupont", "dupont2", "martin"}
    assert plan_for(world.a, data).counts == importer.ImportCounts()


def test_imported_accounts_have_unusable_passwords(world):
    importer.apply(plan_for(world.a, csv_bytes(big_rows(3))))
    accounts = User.objects.filter(username__startswith="parent")
    assert accounts.count() == 5
    assert not any(u.has_usable_password() for u in accounts)
    assert all(u.is_active and not u.is_staff for u in accounts)
    parent = accounts.get(username="parent0.2")
    assert (parent.last_name, parent.first_name, parent.email) == ("NOM0", "Parent", "parent0.2@example.org")


def test_staff_and_differently_cased_usernames_are_refused(world):
    data = csv_bytes([row("F1", identifiant="agent.b"), row("F2", identifiant="Dupont"), row("F3", identifiant="x")])
    plan = plan_for(world.a, data)
    assert [(e.line, e.column) for e in plan.errors] == [(2, "identifiant"), (3, "identifiant")]
    assert "« dupont » existe déjà" in plan.errors[1].reason  # an account of A: its spelling may be shown


def test_staff_account_in_a_family_of_own_structure_is_named_as_such(world):
    world.martin_a.accounts.add(world.staff_b)
    plan = plan_for(world.a, csv_bytes([row("F1", identifiant="agent.b")]))
    assert [e.reason for e in plan.errors] == [
        "Compte du personnel ou d'administration : il ne peut pas être rattaché à une famille"
    ]


def test_account_details_must_agree_across_lines(world):
    data = csv_bytes(
        [
            row("F1", identifiant="anne", email="anne@example.org"),
            row("F1", identifiant="anne", email="autre@example.org"),
            row("F2", identifiant="", email="seul@example.org"),
            row("F3", identifiant="anne", compte_prenom="Annie"),
            row("F3", identifiant="anne", compte_prenom="Anne"),  # defaults to prenom: agrees with line 2
        ]
    )
    found = [(e.line, e.column, e.reason) for e in plan_for(world.a, data).errors]
    assert found == [
        (3, "email", "E-mail différent des autres lignes du compte « anne »"),
        (4, "email", "Renseigné sans identifiant de compte"),
        (5, "compte_prenom", "Prénom différent des autres lignes du compte « anne »"),
    ]


def test_example_file_offered_for_download_imports_cleanly(world, client):
    client.force_login(world.staff_a)
    for model in ("csv", "xlsx"):
        response = client.get(IMPORT_URL, {"modele": model})
        assert response.status_code == 200
        assert f"modele-import-familles.{model}" in response["Content-Disposition"]
        plan = plan_for(world.a, response.content, f"modele.{model}")
        assert plan.errors == []
        assert (plan.counts.families_created, plan.counts.children_created, plan.counts.accounts_created) == (2, 3, 3)
    assert response.content[:2] == b"PK"


def test_cp1252_file_with_accents_and_french_headers(world):
    header = ["Référence famille", "Civilité", "NOM", "Prénom", "Enfant prénom", "Enfant nom", "Enfant naissance"]
    data = csv_bytes(
        [["F1", "Mme", "LEFÈVRE", "Hélène", "Zoé", "LEFÈVRE", "3/4/2019"]], header=header, encoding="cp1252"
    )
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    plan = plan_for(world.a, data)
    assert plan.errors == []
    importer.apply(plan)
    family = Family.objects.get(structure=world.a, reference="F1")
    assert (family.last_name, family.first_name) == ("LEFÈVRE", "Hélène")
    assert family.children.get().first_name == "Zoé"
    assert family.children.get().birth_date == datetime.date(2019, 4, 3)


def test_utf8_bom_and_comma_separator(world):
    data = b"\xef\xbb\xbf" + csv_bytes([row("F1", first="Gaëlle")], delimiter=",")
    plan = plan_for(world.a, data)
    assert plan.errors == [] and plan.counts.families_created == 1
    assert next(iter(plan.families.values())).first_name == "Gaëlle"


def test_excel_unicode_text_export(world):
    data = csv_bytes([row("F1", first="Chloé")], delimiter="\t", encoding="utf-16")
    plan = plan_for(world.a, data, "export.txt")
    assert plan.errors == [] and plan.families["F1"].first_name == "Chloé"


def test_xlsx_date_cells_and_numbers(world):
    values = row(1001, enfant_prenom="Noé", enfant_nom="DURAND", activite="APSM")
    values[HEADER.index("enfant_naissance")] = datetime.datetime(2018, 6, 1)
    values[HEADER.index("inscription_debut")] = datetime.date(2026, 10, 1)
    plan = plan_for(world.a, xlsx_bytes([values]), "familles.xlsx")
    assert plan.errors == []
    family = plan.families["1001"]
    child = family.children[("Noé", datetime.date(2018, 6, 1))]
    assert [e.start_date for e in child.enrolments.values()] == [datetime.date(2026, 10, 1)]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("photo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))),
        ("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))),
        ("hasard.csv", bytes((i * 7919) % 256 for i in range(4000))),
        ("faux.xlsx", b"PK\x03\x04" + b"pas un classeur" * 20),
        ("ancien.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100),
    ],
)
def test_unreadable_files_get_one_clear_french_error(world, client, name, data):
    with pytest.raises(importer.ImportFileError) as error:
        importer.parse_file(name, data)
    assert "xlsx" in str(error.value)
    client.force_login(world.staff_a)
    page = client.post(IMPORT_URL, {"structure": world.a.pk, "file": SimpleUploadedFile(name, data)})
    assert page.status_code == 400
    assert str(error.value) in page_text(page)


def test_header_problems_are_reported_together(world):
    data = csv_bytes([["F1", "Mme"]], header=["reference_famille", "civilite", "nom_enfant"])
    with pytest.raises(importer.ImportFileError) as error:
        importer.parse_file("f.csv", data)
    assert str(error.value) == (
        "En-tête (ligne 1) incorrect — colonnes inconnues : « nom_enfant » ; colonnes obligatoires absentes : "
        "« nom », « prenom ». Reprenez les noms de colonnes du modèle."
    )


def test_too_many_lines_are_refused():
    data = csv_bytes([row(f"F{i}") for i in range(importer.MAX_LINES + 1)])
    with pytest.raises(importer.ImportFileError, match="20000 lignes au plus"):
        importer.parse_file("f.csv", data)
    assert len(importer.parse_file("f.csv", csv_bytes([row("F1")]) + b";;;\r\n" * 30)) == 1


def test_blank_lines_are_skipped_but_keep_spreadsheet_line_numbers(world):
    data = b"\r\n" + csv_bytes([row("F1"), row("F2", civility="Madame")]).replace(b"\r\nF2", b"\r\n;;;\r\n\r\nF2")
    plan = plan_for(world.a, data)
    assert [(e.line, e.column) for e in plan.errors] == [(6, "civilite")]


def test_xlsx_that_inflates_too_much_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", b"0" * (importer.MAX_XLSX_UNCOMPRESSED_BYTES + 1))
    with pytest.raises(importer.ImportFileError, match="trop volumineux une fois décompressé"):
        importer.parse_file("bombe.xlsx", buffer.getvalue())


# --- The admin screen ---------------------------------------------------------------


def test_full_flow_upload_preview_confirm(world, client):
    client.force_login(world.staff_a)
    form = client.get(IMPORT_URL)
    html = page_text(form)
    assert form.status_code == 200
    assert f'<option value="{world.a.pk}" selected>' in html
    assert world.b.name not in html
    assert "reference_famille" in html and "?modele=csv" in html and "APSM" in html

    data = csv_bytes(big_rows(4))
    preview = client.post(IMPORT_URL, {"structure": world.a.pk, "file": SimpleUploadedFile("f.csv", data)})
    html = page_text(preview)
    assert preview.status_code == 200
    assert '<th scope="row">Familles à créer</th><td>4</td>' in html
    assert '<th scope="row">Inscriptions à créer</th><td>8</td>' in html
    assert "Confirmer l'import" in html
    pending = client.session[SESSION_KEY]
    assert base64.b64decode(pending["data"]) == data and pending["structure"] == world.a.pk
    assert not Family.objects.filter(reference="F0000").exists()  # a preview writes nothing

    done = client.post(IMPORT_URL, {"confirm": "1", "sha256": pending["sha256"]}, follow=True)
    assert done.redirect_chain[-1][0] == reverse("admin:structures_family_changelist") + f"?structure={world.a.pk}"
    assert "Import terminé dans « Mairie de CarteVille » : 4 familles créées, 6 comptes créés" in page_text(done)
    assert Family.objects.filter(structure=world.a, reference__startswith="F0").count() == 4
    assert Enrolment.objects.filter(child__family__reference__startswith="F0").count() == 8
    assert SESSION_KEY not in client.session


def test_cancel_forgets_the_previewed_file(world, client):
    client.force_login(world.staff_a)
    client.post(IMPORT_URL, {"structure": world.a.pk, "file": SimpleUploadedFile("f.csv", csv_bytes(big_rows(2)))})
    sha256 = client.session[SESSION_KEY]["sha256"]
    assert client.post(IMPORT_URL, {"cancel": "1"}).status_code == 302
    before = db_counts()
    client.post(IMPORT_URL, {"confirm": "1", "sha256": sha256})
    assert db_counts() == before


def test_confirm_without_preview_writes_nothing(world, client):
    client.force_login(world.staff_a)
    before = db_counts()
    # Even with a made-up file and structure in the form: only the session counts.
    data = base64.b64encode(csv_bytes(big_rows(2))).decode()
    response = client.post(IMPORT_URL, {"confirm": "1", "sha256": "abc", "data": data, "structure": world.a.pk})
    assert response.status_code == 302
    assert "Aucun aperçu en attente" in page_text(client.get(IMPORT_URL))
    assert db_counts() == before


def test_confirm_needs_the_previewed_file(world, client):
    client.force_login(world.staff_a)
    client.post(IMPORT_URL, {"structure": world.a.pk, "file": SimpleUploadedFile("f.csv", csv_bytes(big_rows(2)))})
    before = db_counts()
    client.post(IMPORT_URL, {"confirm": "1", "sha256": "0" * 64})
    assert db_counts() == before
    assert SESSION_KEY not in client.session


def test_staff_a_cannot_import_into_structure_b(world, client):
    client.force_login(world.staff_a)
    before = Family.objects.filter(structure=world.b).count()
    upload = SimpleUploadedFile("f.csv", csv_bytes(big_rows(2)))
    response = client.post(IMPORT_URL, {"structure": world.b.pk, "file": upload})
    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in page_text(response)
    assert SESSION_KEY not in client.session

    # A structure slipped into the confirming form is ignored: the previewed one is used.
    upload = SimpleUploadedFile("f.csv", csv_bytes(big_rows(2)))
    client.post(IMPORT_URL, {"structure": world.a.pk, "file": upload})
    sha256 = client.session[SESSION_KEY]["sha256"]
    client.post(IMPORT_URL, {"confirm": "1", "sha256": sha256, "structure": world.b.pk})
    assert Family.objects.filter(structure=world.b).count() == before
    assert Family.objects.filter(structure=world.a, reference__startswith="F0").count() == 2


def test_staff_b_import_cannot_touch_structure_a(world, client):
    client.force_login(world.staff_b)
    # "DUP" exists in both structures; APSM is an activity of A only.
    data = csv_bytes(
        [
            row("DUP", "M.", "DUPONT-B", "Jean-Paul", enfant_prenom="Paolo", enfant_nom="D", enfant_naissance="02/05/2017"),
            row("NEW", enfant_prenom="Ana", enfant_nom="N", enfant_naissance="01/01/2020", activite="APSM"),
        ]
    )  # fmt: skip
    page = client.post(IMPORT_URL, {"structure": world.b.pk, "file": SimpleUploadedFile("f.csv", data)})
    assert "Activité inconnue dans cette structure : « APSM »" in page_text(page)

    data = csv_bytes([row("DUP", "M.", "DUPONT-B", "Jean-Paul", enfant_prenom="Paolo", enfant_nom="D", enfant_naissance="02/05/2017")])  # fmt: skip
    client.post(IMPORT_URL, {"structure": world.b.pk, "file": SimpleUploadedFile("f.csv", data)})
    client.post(IMPORT_URL, {"confirm": "1", "sha256": client.session[SESSION_KEY]["sha256"]})
    world.family_a.refresh_from_db()
    world.family_b.refresh_from_db()
    world.paolo.refresh_from_db()
    world.paolo_b.refresh_from_db()
    assert (world.family_a.last_name, world.paolo.last_name) == ("DUPONT", "DUPONT")
    assert (world.family_b.last_name, world.paolo_b.last_name) == ("DUPONT-B", "D")


def test_import_screen_needs_a_structure_to_manage(world, client):
    lonely = f.StaffFactory(username="agent.seul")
    client.force_login(lonely)
    assert client.get(IMPORT_URL).status_code == 403
    client.force_login(world.dupont)
    assert client.get(IMPORT_URL).status_code == 302  # to the admin login


def test_administrator_chooses_the_structure(world, client):
    client.force_login(world.admin)
    html = page_text(client.get(IMPORT_URL))
    assert world.a.name in html and world.b.name in html
    choices = html.split('name="structure"')[1].split("</select>")[0]
    assert '<option value="" selected>' in choices and choices.count("selected") == 1


def test_names_with_invisible_characters_and_dates_out_of_the_window_are_line_errors(world):
    """Issue 12 point 2: the import refuses what the models refuse (the admin too),
    so no name with a right-to-left override or a line break, and no birth date in
    year 1, reaches the exports, the e-mails or the calendar's walks."""
    rows = [
        row("F1", last="DURAND\u202eTXT.EXE"),
        row("F2", enfant_prenom="Zoé", enfant_nom="X", enfant_naissance="02/05/0001"),
        row("F3", enfant_prenom="Tom\u2066", enfant_nom="Y", enfant_naissance="01/01/2019"),
    ]
    before = db_counts()

    plan = plan_for(world.a, csv_bytes(rows))

    found = [(e.line, e.column) for e in plan.errors]
    assert found == [(2, "nom"), (3, "enfant_naissance"), (4, "enfant_prenom")]
    reasons = [e.reason for e in plan.errors]
    assert "caractère invisible" in reasons[0]
    assert "entre le 01/01/2000 et le 31/12/2100" in reasons[1]
    with pytest.raises(ValueError):
        importer.apply(plan)
    assert db_counts() == before
