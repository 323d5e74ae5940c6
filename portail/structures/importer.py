"""Bulk import of families, accounts, children and enrolments (B4).

A file is read (`parse_file`), checked as a whole against one structure
(`validate`), and written only when it has no error at all (`apply`), in one
transaction. Rows are matched on natural keys, so importing the same file
again changes nothing:

- family: (structure, reference)
- child: (family, first name, birth date)
- enrolment: (child, activity, start date)
- account: username — an existing account is linked, never overwritten.

Accounts never cross a structure without their owner (issue 12): the import
creates accounts, and links existing ones only when they already open a family
of the importing staff member's structures (for the site administrator: of the
structure imported into). Any other existing identifiant is a line error that
says only "Identifiant déjà pris", the same words whatever the account is, and
nothing about that account is read, shown, counted or changed. A parent joins
another structure by accepting an invitation (portail/accounts/invitations.py).
An account that also opens a family outside those structures is linked but
never changed (its e-mail is where its recovery link goes).

Passwords are never imported: a new account gets an unusable password and the
parent chooses one through an invitation (A1). Staff and administrator
accounts are never linked to a family: that would put them in the scope of the
structure's staff, who can edit the accounts of their families.

Every lookup is done up front in a handful of queries and every write is a
bulk query, so the cost does not grow with one query per line.

The work is in portail/structures/imports/: `reading` turns the file into
rows; `validation` checks each row on its own and `matching` the rows together
and against the structure's records, into a `plan`; `writing` carries the plan
out in one transaction; `columns` is the file's format. This module is their
one front door, used by the admin's import screen.
"""

from portail.structures.imports.columns import COLUMN_NAMES, COLUMNS, Column, example_csv, example_xlsx
from portail.structures.imports.matching import UNAVAILABLE_USERNAME
from portail.structures.imports.plan import ImportCounts, ImportPlan, RowError
from portail.structures.imports.reading import (
    MAX_FILE_BYTES,
    MAX_LINES,
    MAX_XLSX_UNCOMPRESSED_BYTES,
    ImportFileError,
    Row,
    parse_file,
)
from portail.structures.imports.validation import validate
from portail.structures.imports.writing import apply

__all__ = [
    "COLUMNS",
    "COLUMN_NAMES",
    "MAX_FILE_BYTES",
    "MAX_LINES",
    "MAX_XLSX_UNCOMPRESSED_BYTES",
    "UNAVAILABLE_USERNAME",
    "Column",
    "ImportCounts",
    "ImportFileError",
    "ImportPlan",
    "Row",
    "RowError",
    "apply",
    "example_csv",
    "example_xlsx",
    "parse_file",
    "validate",
]
