"""The translation layer is really there (issue 13 point 3).

Two guards over the whole code, each parametrised by file so a failure names it:

- a template shows no text a person reads outside `{% translate %}` /
  `{% blocktranslate %}` (text between tags, and the attributes a person
  reads or hears: aria-label, title, placeholder, alt, a button's value);
- every msgid the code and the templates use has an English translation in
  the catalogues Django merges (locale/ and each app's locale/), read from the
  .po files themselves, so the test does not depend on `make` having compiled.

Extraction is pure Python: Django's template Lexer and `templatize` (what
`makemessages` feeds xgettext), and `ast` for the gettext calls of portail/.
No GNU gettext is needed.
"""

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.template.base import Lexer, TokenType
from django.utils import translation
from django.utils.translation.template import templatize

ROOT = Path(__file__).resolve().parent.parent
PORTAIL = ROOT / "portail"
TEMPLATES = sorted(p for p in PORTAIL.glob("**/templates/**/*") if p.suffix in {".html", ".txt"})
PYTHON_FILES = sorted(p for p in PORTAIL.glob("**/*.py") if "migrations" not in p.parts)
CATALOGUES = sorted([*ROOT.glob("locale/en/LC_MESSAGES/django.po"), *PORTAIL.glob("*/locale/en/LC_MESSAGES/django.po")])

# Names that stay the same in every language: none needed so far; a brand
# name would go here rather than through {% translate %}.
ALLOWED_TEXT = set()

# Attributes a person reads (tooltips, placeholders) or hears (screen readers).
VISIBLE_ATTRIBUTES = {"aria-label", "title", "placeholder", "alt", "aria-description", "aria-roledescription"}
BUTTON_INPUTS = {"submit", "button", "reset"}
LETTER = re.compile(r"[^\W\d_]")
# Stands for what a template tag or variable prints: never text of its own.
HOLE = "\x00"


def rel(path):
    return str(path.relative_to(ROOT))


# ------------------------------------------------------------ (a) templates


def _hide_translated(source):
    """The template's text with every tag, variable, comment and translated
    text replaced by HOLE: what is left is what the template writes itself."""
    parts = []
    skip_until = None  # "endblocktranslate"/"endcomment" while inside one
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents else ""
            if skip_until and name in skip_until:
                skip_until = None
            elif name in {"blocktranslate", "blocktrans"}:
                skip_until = {"endblocktranslate", "endblocktrans"}
            elif name == "comment":
                skip_until = {"endcomment"}
            parts.append(HOLE)
        elif token.token_type == TokenType.TEXT and not skip_until:
            parts.append(token.contents)
        else:
            parts.append(HOLE)
    return "".join(parts)


class _VisibleText(HTMLParser):
    """Collects the text between tags and the visible attributes' values,
    outside <script> and <style>."""

    def __init__(self):
        super().__init__(convert_charrefs=True)  # entities (&nbsp;, &rarr;) become characters
        self.found = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style"}:
            self._hidden += 1
        attrs = {name: value or "" for name, value in attrs}
        for name, value in attrs.items():
            if name in VISIBLE_ATTRIBUTES:
                self.found.append(value)
        if tag == "input" and attrs.get("type", "").strip().lower() in BUTTON_INPUTS:
            self.found.append(attrs.get("value", ""))

    def handle_endtag(self, tag):
        if tag in {"script", "style"} and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.found.append(data)


def untranslated_text(source, *, html=True):
    """Pieces of text of a template source that a person reads and that no
    translation tag covers (whitespace, punctuation, digits do not count)."""
    text = _hide_translated(source)
    if html:
        parser = _VisibleText()
        parser.feed(text)
        parser.close()
        pieces = parser.found
    else:
        pieces = [text]
    found = []
    for piece in pieces:
        for fragment in piece.split(HOLE):
            fragment = " ".join(fragment.split())
            if LETTER.search(fragment) and fragment not in ALLOWED_TEXT:
                found.append(fragment)
    return found


def test_the_template_guard_sees_text_and_visible_attributes():
    """The guard itself: what it must find and what it must leave alone."""
    source = (
        '{% load i18n %}<p title="Aide">Bonjour {{ name }}</p>'
        '<input type="submit" value="Envoyer"><input type="hidden" name="next" value="/famille/">'
        '<span aria-label="{% translate "Fermer" %}">{% translate "Oui" %} &rarr; 12 € — 08:30</span>'
        "{% blocktranslate %}Texte traduit {{ x }}{% endblocktranslate %}"
        "{% comment %}Une note pour les développeurs{% endcomment %}{# autre note #}"
        '<script>const label = "ignored";</script><a class="button button--small" href="/x">→</a>'
    )
    assert untranslated_text(source) == ["Aide", "Bonjour", "Envoyer"]
    assert untranslated_text("Bonjour {{ name }},\n{% translate 'Merci' %}", html=False) == ["Bonjour"]


@pytest.mark.parametrize("path", TEMPLATES, ids=rel)
def test_template_has_no_text_outside_translation_tags(path):
    found = untranslated_text(path.read_text(encoding="utf-8"), html=path.suffix == ".html")
    assert found == [], f"{rel(path)}: text outside {{% translate %}}: {found}"


# Tags whose string arguments are names, not text: template and URL names, libraries.
NAME_TAGS = {"url", "load", "extends", "static", "include", "translate", "trans", "csrf_token", "now"}
LITERAL = re.compile(r"""(_\()?(["'])((?:(?!\2).)*)\2""")
WORDS = re.compile(r"[^\W\d_]{2,}")  # a word: two letters at least


def untranslated_literals(source):
    """String literals written in template tags and variables that read as
    text (two words, or an accented letter) and are not wrapped in _():
    `{{ x|default:"aucune réservation" }}`, `{% include ... with title="Mes enfants" %}`."""
    found = []
    for token in Lexer(source).tokenize():
        if token.token_type not in (TokenType.VAR, TokenType.BLOCK):
            continue
        contents = token.contents
        if token.token_type == TokenType.BLOCK and contents.split()[0] in NAME_TAGS and " with " not in contents:
            continue
        for translated, _quote, value in LITERAL.findall(contents):
            if translated:
                continue
            words = [word for word in value.split() if WORDS.search(word)]
            if len(words) >= 2 or words and re.search(r"[^\x00-\x7f]", value):
                found.append(value)
    return found


def test_the_literal_guard_sees_text_in_tags():
    source = (
        '{{ x|default:"aucune réservation" }}{% include "a.html" with title="Mes enfants" cls="button--small" %}'
        '{{ d|date:_("d/m/Y à H:i") }}{% translate "Déjà traduit" %}{{ block.super|add:" staff-screen" }}'
        "{% url 'family:home' %}{{ d|date:'d/m/Y' }}"
    )
    assert untranslated_literals(source) == ["aucune réservation", "Mes enfants"]


@pytest.mark.parametrize("path", TEMPLATES, ids=rel)
def test_template_writes_no_text_in_its_tags(path):
    found = untranslated_literals(path.read_text(encoding="utf-8"))
    assert found == [], f"{rel(path)}: text in a tag outside _() or {{% translate %}}: {found}"


# ------------------------------------------------------------ (b) catalogues

GETTEXT_CALLS = {
    # name: (index of the context argument or None, index of the msgid, index of the plural or None)
    "gettext": (None, 0, None),
    "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None),
    "_": (None, 0, None),
    "ngettext": (None, 0, 1),
    "ngettext_lazy": (None, 0, 1),
    "pgettext": (0, 1, None),
    "pgettext_lazy": (0, 1, None),
    "npgettext": (0, 1, 2),
    "npgettext_lazy": (0, 1, 2),
}


def _calls(tree):
    """(context, msgid, plural) of each gettext call of a syntax tree whose
    arguments are literal strings."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        if name not in GETTEXT_CALLS:
            continue
        context_at, msgid_at, plural_at = GETTEXT_CALLS[name]
        args = [a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None for a in node.args]
        if len(args) <= msgid_at or args[msgid_at] is None:
            continue
        context = args[context_at] if context_at is not None else None
        plural = args[plural_at] if plural_at is not None and len(args) > plural_at else None
        yield context or "", args[msgid_at], plural


def python_msgids(path):
    return sorted(set(_calls(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))))


CALL_START = re.compile(r"\b(?:n?p?gettext)\(")


def template_msgids(path):
    """The msgids `makemessages` would extract: templatize() turns the
    translation tags into gettext calls, read here with ast."""
    code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    found = set()
    for match in CALL_START.finditer(code):
        # The call ends at one of the following ")": the first that parses.
        end = match.end()
        while (end := code.find(")", end)) != -1:
            end += 1
            try:
                tree = ast.parse(code[match.start() : end], mode="eval")
            except SyntaxError:
                continue
            found.update(_calls(tree))
            break
    return sorted(found)


def _english():
    """(context, msgid) -> entry of every English catalogue Django merges."""
    entries = {}
    for path in CATALOGUES:
        for entry in polib.pofile(str(path)):
            if entry.obsolete:
                continue
            entries.setdefault((entry.msgctxt or "", entry.msgid), entry)
    return entries


ENGLISH = _english()


def missing_translations(msgids):
    missing = []
    for context, msgid, plural in msgids:
        entry = ENGLISH.get((context, msgid))
        if entry is None or "fuzzy" in entry.flags:
            missing.append(msgid)
        elif plural is not None:
            if entry.msgid_plural != plural or not all(entry.msgstr_plural.get(i) for i in (0, 1)):
                missing.append(msgid)
        elif not entry.msgstr:
            missing.append(msgid)
    return missing


SOURCES = TEMPLATES + PYTHON_FILES


def _msgids(path):
    return template_msgids(path) if path.suffix in {".html", ".txt"} else python_msgids(path)


def test_the_msgid_guard_reads_templates_and_code(tmp_path):
    template = tmp_path / "t.html"
    template.write_text(
        "{% load i18n %}{% translate \"Bonjour l'ami\" %}{% translate 'Mai' context 'mois' %}"
        "{% blocktranslate count n=k trimmed %}\n {{ n }} enfant\n{% plural %}\n {{ n }} enfants\n{% endblocktranslate %}",
        encoding="utf-8",
    )
    assert template_msgids(template) == [
        ("", "%(n)s enfant", "%(n)s enfants"),
        ("", "Bonjour l'ami", None),
        ("mois", "Mai", None),
    ]
    module = tmp_path / "m.py"
    module.write_text(
        "from django.utils.translation import gettext as _, ngettext, pgettext_lazy\n"
        "A = _('Un')\nB = ngettext('%(n)s jour', '%(n)s jours', 2)\nC = pgettext_lazy('ctx', 'Deux')\n"
        "D = _(variable)\n",
        encoding="utf-8",
    )
    assert python_msgids(module) == [("", "%(n)s jour", "%(n)s jours"), ("", "Un", None), ("ctx", "Deux", None)]


@pytest.mark.parametrize("path", SOURCES, ids=rel)
def test_every_msgid_has_an_english_translation(path):
    missing = missing_translations(_msgids(path))
    assert missing == [], f"{rel(path)}: no English translation for {missing}"


def _stale(po_paths, mo_path):
    return not mo_path.exists() or any(mo_path.stat().st_mtime < p.stat().st_mtime for p in po_paths)


def test_the_catalogues_are_compiled_and_current():
    """`make` compiles them (scripts/compilemessages.py); Django reads the .mo."""
    stale = [rel(p) for p in CATALOGUES if _stale([p], p.with_suffix(".mo"))]
    if _stale(CATALOGUES, ROOT / "locale/fr/LC_MESSAGES/django.mo"):
        stale.append("locale/fr/LC_MESSAGES/django.mo")
    assert stale == [], f"run `make messages` (scripts/compilemessages.py): {stale}"
    with translation.override("en"):
        assert translation.gettext("Mes réservations") == "My bookings"
        assert translation.pgettext("format de date", "D. d/m") == "D d/m"


def test_french_plurals_follow_the_french_rule():
    """0 and 1 take the singular in French ("0 demande"): the generated French
    catalogue gives every plural msgid the French rule, not gettext's n != 1."""
    plurals = [e for e in ENGLISH.values() if e.msgid_plural]
    wrong = []
    with translation.override("fr"):
        for entry in plurals:
            forms = [translation.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n) if entry.msgctxt
                     else translation.ngettext(entry.msgid, entry.msgid_plural, n) for n in (0, 1, 2)]  # fmt: skip
            if forms != [entry.msgid, entry.msgid, entry.msgid_plural]:
                wrong.append((entry.msgid, forms))
    assert wrong == []


def test_one_msgid_one_english_translation():
    """Django merges the catalogues into one: a msgid translated differently in
    two of them shows only one translation (the first catalogue's) everywhere.
    Same French words with two meanings ("nom": a last name, a name) need a
    context (pgettext, {% translate ... context ... %})."""
    translations = {}
    for path in CATALOGUES:
        for entry in polib.pofile(str(path)):
            if entry.obsolete or not (entry.msgstr or entry.msgstr_plural):
                continue
            english = entry.msgstr or tuple(sorted(entry.msgstr_plural.items()))
            translations.setdefault((entry.msgctxt or "", entry.msgid), {}).setdefault(english, []).append(rel(path))
    conflicts = {key: found for key, found in translations.items() if len(found) > 1}
    assert conflicts == {}
