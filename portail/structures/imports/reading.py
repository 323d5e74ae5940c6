"""Reading an import file (CSV or XLSX) into rows with their spreadsheet line
numbers, refusing what cannot be read as a table with the expected header.
Nothing here knows a structure or the database."""

import codecs
import csv
import datetime
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

from django.utils.translation import gettext, gettext_lazy

from portail.structures.imports.columns import COLUMN_NAMES, HEADER_ALIASES, REQUIRED_COLUMNS

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_LINES = 20_000
MAX_SCANNED_LINES = 10 * MAX_LINES  # blank lines included
MAX_COLUMNS = 50
MAX_XLSX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024

UNREADABLE = gettext_lazy(
    "Fichier illisible : importez un fichier CSV (séparateur « ; » ou « , ») ou un classeur Excel au format .xlsx."
)

# Control characters never found in a real CSV; their presence means binary data.
_BINARY_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


class ImportFileError(Exception):
    """The file as a whole cannot be read; the message is for the user, in the active language."""


@dataclass(frozen=True)
class Row:
    """One line of the file: its number as a spreadsheet shows it, and its cells by column."""

    line: int
    values: dict

    def get(self, column):
        return self.values.get(column, "")


def parse_file(uploaded_name, data):
    """The data rows of a CSV or XLSX file, with their spreadsheet line numbers.

    Raises ImportFileError, with a French message, when the file cannot be read
    as a table with the expected header.
    """
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError(gettext("Fichier trop volumineux : 5 Mo au plus."))
    if not data.strip():
        raise ImportFileError(gettext("Le fichier est vide."))
    extension = uploaded_name.rsplit(".", 1)[-1].lower() if "." in uploaded_name else ""
    if data.startswith(b"\xd0\xcf\x11\xe0") or extension == "xls":
        raise ImportFileError(
            gettext(
                "Le format Excel 97-2003 (.xls) n'est pas accepté : enregistrez le classeur au format .xlsx ou CSV."
            )
        )
    if data.startswith(b"PK\x03\x04"):
        table = _read_xlsx(data)
    elif extension in ("csv", "txt", ""):
        table = _read_csv(data)
    else:
        raise ImportFileError(str(UNREADABLE))
    return _rows_from_table(table)


def _read_csv(data):
    text = _decode(data)
    if _BINARY_RE.search(text):
        raise ImportFileError(str(UNREADABLE))
    first_line = text.split("\n", 1)[0]
    delimiter = max(";,\t", key=first_line.count)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        return list(_limited(record[:MAX_COLUMNS] for record in reader))
    except csv.Error:
        raise ImportFileError(str(UNREADABLE)) from None


def _decode(data):
    # Excel in France saves "CSV" as cp1252, and "Texte Unicode" as UTF-16
    # with a byte order mark; latin-1 accepts any byte, so it comes last and
    # binary data is caught by the control-character check.
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    for encoding in ("utf-16",) if utf16 else ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(str(UNREADABLE))


def _read_xlsx(data):
    from openpyxl import load_workbook

    try:
        # Declared sizes bound what zipfile will inflate: this refuses zip bombs.
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ImportFileError(str(UNREADABLE)) from None
    if inflated > MAX_XLSX_UNCOMPRESSED_BYTES:
        raise ImportFileError(gettext("Classeur trop volumineux une fois décompressé : enregistrez-le au format CSV."))
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # a damaged archive raises anything from zipfile, lxml or openpyxl
        raise ImportFileError(str(UNREADABLE)) from None
    try:
        if not workbook.worksheets:
            raise ImportFileError(gettext("Le classeur ne contient aucune feuille."))
        sheet = workbook.worksheets[0]
        return list(_limited(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)))
    finally:
        workbook.close()


def _limited(records):
    """(line number, cells) of the non-blank records, the header first.

    Blank lines are common (Excel, editors) and are skipped but still numbered,
    so that line numbers match what a spreadsheet shows. Memory stays bounded
    whatever the file holds.
    """
    too_long = ImportFileError(
        gettext("Fichier trop long : %(max)s lignes au plus, en plus de l'en-tête.") % {"max": MAX_LINES}
    )
    kept = 0
    for line, record in enumerate(records, start=1):
        if line > MAX_SCANNED_LINES:
            raise too_long
        if any(cell_text(v) for v in record):
            kept += 1
            if kept > MAX_LINES + 1:
                raise too_long
            yield line, record


def _normalise_header(value):
    text = unicodedata.normalize("NFKD", cell_text(value)).encode("ascii", "ignore").decode().lower()
    name = re.sub(r"[^a-z0-9]+", "_", text).strip("_")
    return HEADER_ALIASES.get(name, name)


def _rows_from_table(table):
    if not table:
        raise ImportFileError(gettext("Le fichier est vide."))
    header_line, header = table[0]
    header = [_normalise_header(v) for v in header]
    problems = []
    unknown = [h for h in header if h and h not in COLUMN_NAMES]
    if unknown:
        shown = ", ".join(f"« {h} »" for h in unknown[:5]) + (" …" if len(unknown) > 5 else "")
        problems.append(gettext("colonnes inconnues : %(columns)s") % {"columns": shown})
    duplicated = sorted({h for h in header if h and header.count(h) > 1})
    if duplicated:
        problems.append(
            gettext("colonnes en double : %(columns)s") % {"columns": ", ".join(f"« {h} »" for h in duplicated)}
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        problems.append(
            gettext("colonnes obligatoires absentes : %(columns)s")
            % {"columns": ", ".join(f"« {c} »" for c in missing)}
        )
    if problems:
        raise ImportFileError(
            gettext("En-tête (ligne %(line)s) incorrect — %(problems)s. Reprenez les noms de colonnes du modèle.")
            % {"line": header_line, "problems": " ; ".join(problems)}
        )
    rows = []
    for line, record in table[1:]:
        values = {}
        for name, value in zip(header, record, strict=False):
            if name:
                if isinstance(value, datetime.datetime):
                    value = value.date()
                values[name] = value if isinstance(value, datetime.date) else cell_text(value)
        if any(v for v in values.values()):
            rows.append(Row(line, values))
    if not rows:
        raise ImportFileError(gettext("Le fichier ne contient aucune ligne après l'en-tête."))
    return rows


def cell_text(value):
    """A cell as the text a spreadsheet shows (dates JJ/MM/AAAA), spaces folded."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    return " ".join(str(value).split())
