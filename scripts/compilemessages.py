#!/usr/bin/env python3
"""Compile every gettext catalogue (.po -> .mo) of the project with polib.

Django's `compilemessages` needs GNU gettext's `msgfmt`, a system package that
a fresh clone or a CI machine does not have; polib is pure Python and pinned
in requirements.lock. The .mo files are build output (ignored by git): the
Makefile runs this before `demo` and `test`, a deployment after `pip install`.

Only catalogues whose .mo is missing or older than the .po are written, so the
call is cheap. Fuzzy and untranslated entries are left out, as msgfmt does.
Exit status 1 when a .po cannot be read (a syntax error names the file).

French is the source language (msgids), yet it needs a catalogue of its own
for plurals: without one, gettext picks a plural with the English rule
(n != 1, "0 demandes") instead of the French one (n > 1, "0 demande"). That
catalogue, locale/fr/LC_MESSAGES/django.mo, is generated here from the
plural entries of the English catalogues: each French form is its msgid.
"""

import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
# The project catalogue (LOCALE_PATHS) and each app's locale/ directory.
PATTERNS = ("locale/*/LC_MESSAGES/*.po", "portail/*/locale/*/LC_MESSAGES/*.po")


def catalogues(root=ROOT):
    """Every .po file Django will merge, in a stable order."""
    return sorted(path for pattern in PATTERNS for path in root.glob(pattern))


def compile_all(root=ROOT, *, force=False):
    """Write each stale .mo next to its .po; return the list of paths written."""
    written = []
    for po_path in catalogues(root):
        mo_path = po_path.with_suffix(".mo")
        if not force and mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        catalogue = polib.pofile(str(po_path), check_for_duplicates=True)
        catalogue.save_as_mofile(str(mo_path))
        written.append(mo_path)
    return written


SOURCE_LANGUAGE = "fr"
SOURCE_PLURAL_FORMS = "nplurals=2; plural=(n > 1);"


def source_plurals(root=ROOT, *, force=False):
    """Write the source language's plural catalogue (see the module docstring)
    when an English catalogue changed; return the list of paths written."""
    english = [path for path in catalogues(root) if path.parent.parent.name == "en"]
    mo_path = root / "locale" / SOURCE_LANGUAGE / "LC_MESSAGES" / "django.mo"
    newest = max((path.stat().st_mtime for path in english), default=0)
    if not force and mo_path.exists() and mo_path.stat().st_mtime >= newest:
        return []
    catalogue = polib.POFile()
    catalogue.metadata = {
        "Content-Type": "text/plain; charset=UTF-8",
        "Language": SOURCE_LANGUAGE,
        "Plural-Forms": SOURCE_PLURAL_FORMS,
    }
    seen = set()
    for path in english:
        for entry in polib.pofile(str(path)):
            key = (entry.msgctxt, entry.msgid)
            if entry.msgid_plural and not entry.obsolete and key not in seen:
                seen.add(key)
                catalogue.append(
                    polib.POEntry(
                        msgctxt=entry.msgctxt, msgid=entry.msgid, msgid_plural=entry.msgid_plural,
                        msgstr_plural={0: entry.msgid, 1: entry.msgid_plural},
                    )
                )  # fmt: skip
    mo_path.parent.mkdir(parents=True, exist_ok=True)
    catalogue.save_as_mofile(str(mo_path))
    return [mo_path]


def main(argv):
    force = "--force" in argv
    try:
        written = compile_all(force=force) + source_plurals(force=force)
    except (OSError, ValueError) as error:  # polib raises OSError/ValueError on a malformed file
        print(f"compilemessages: {error}", file=sys.stderr)
        return 1
    for path in written:
        print(f"compiled {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
