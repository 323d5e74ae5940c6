"""The import file's format: its columns, and the model file offered for
download (CSV for Excel in French, XLSX)."""

import io
from dataclasses import dataclass

from django.utils.translation import gettext_lazy

from portail.lib.spreadsheets import excel_csv


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    description: str  # lazy: shown in the admin's language
    example: str


COLUMNS = [
    Column("reference_famille", True, gettext_lazy("Code de la famille dans la structure. Les lignes de même code sont réunies."), "F001"),
    Column("civilite", True, gettext_lazy("Civilité du contact principal : M. ou Mme."), "Mme"),
    Column("nom", True, gettext_lazy("Nom du contact principal de la famille."), "DUPONT"),
    Column("prenom", True, gettext_lazy("Prénom du contact principal de la famille."), "Marie"),
    Column("identifiant", False, gettext_lazy("Identifiant d'un compte qui accède à la famille. Un compte existant d'une famille de vos structures est rattaché ; un identifiant pris ailleurs est refusé."), "marie.dupont"),
    Column("email", False, gettext_lazy("Adresse e-mail de ce compte (pour l'invitation)."), "marie.dupont@example.org"),
    Column("compte_nom", False, gettext_lazy("Nom du titulaire du compte ; par défaut, la colonne nom."), "DUPONT"),
    Column("compte_prenom", False, gettext_lazy("Prénom du titulaire du compte ; par défaut, la colonne prenom."), "Marie"),
    Column("enfant_prenom", False, gettext_lazy("Prénom d'un enfant de la famille."), "Paolo"),
    Column("enfant_nom", False, gettext_lazy("Nom de cet enfant."), "DUPONT"),
    Column("enfant_naissance", False, gettext_lazy("Date de naissance de cet enfant, JJ/MM/AAAA."), "02/05/2017"),
    Column("enfant_classe", False, gettext_lazy("Classe de cet enfant, en texte court (par exemple « CE1 — Mme Martin ») ; vide : la classe déjà connue est gardée."), "CE1"),
    Column("activite", False, gettext_lazy("Code d'une activité de la structure où inscrire cet enfant."), "APSM"),
    Column("inscription_debut", False, gettext_lazy("Début de l'inscription, JJ/MM/AAAA ; par défaut, le début de la période de réservation."), ""),
    Column("inscription_fin", False, gettext_lazy("Fin de l'inscription, JJ/MM/AAAA ; par défaut, la fin de la période de réservation."), ""),
]  # fmt: skip
COLUMN_NAMES = [c.name for c in COLUMNS]
REQUIRED_COLUMNS = [c.name for c in COLUMNS if c.required]
HEADER_ALIASES = {"e_mail": "email", "courriel": "email", "mail": "email"}
CHILD_COLUMNS = ("enfant_prenom", "enfant_nom", "enfant_naissance")
ACCOUNT_DETAIL_COLUMNS = ("email", "compte_nom", "compte_prenom")

EXAMPLE_ROWS = [
    ["F001", "Mme", "DUPONT", "Marie", "marie.dupont", "marie.dupont@example.org", "", "", "Paolo", "DUPONT", "02/05/2017", "CE1", "APSM", "", ""],
    ["F001", "Mme", "DUPONT", "Marie", "jp.dupont", "jp.dupont@example.org", "DUPONT", "Jean-Paul", "Paolo", "DUPONT", "02/05/2017", "CE1", "REST", "01/09/2026", "03/07/2027"],
    ["F001", "Mme", "DUPONT", "Marie", "", "", "", "", "Amalia", "DUPONT", "21/08/2019", "GS", "", "", ""],
    ["F002", "M.", "MARTIN", "Luc", "luc.martin", "", "", "", "Léo", "MARTIN", "14/03/2018", "CE2 — Mme Martin", "APSM", "", ""],
]  # fmt: skip


def example_csv():
    """A model CSV as French Excel opens it: UTF-8 with BOM, « ; » separator."""
    return excel_csv(COLUMN_NAMES, EXAMPLE_ROWS).encode("utf-8")


def example_xlsx():
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Import")
    sheet.append(COLUMN_NAMES)
    for row in EXAMPLE_ROWS:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
