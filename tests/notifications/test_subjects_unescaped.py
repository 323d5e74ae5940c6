"""An e-mail's subject is plain text: a structure or activity named with an
apostrophe or an ampersand reads « L'Accueil & Co », never « L&#x27;Accueil
&amp; Co ». Every `*_subject.txt` template is rendered with such names (the
guard covers subjects added later)."""

import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.template.loader import render_to_string

TEMPLATES = Path(__file__).resolve().parents[2] / "portail" / "templates"
SUBJECTS = sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.glob("**/*_subject.txt"))
NAME = 'L\'Accueil & Co <Les "Pinsons">'


def _context():
    structure = SimpleNamespace(name=NAME)
    return {
        "structure": structure,
        "activity": SimpleNamespace(name=NAME),
        "family": SimpleNamespace(structure=structure),
        "message": SimpleNamespace(subject=NAME),
        "day": "lun. 07/12",
        "first_day": "lun. 07/12",
        "month": datetime.date(2026, 10, 1),
        "invoice": SimpleNamespace(reference="F-2026-000001", total_cents=100, due_date=datetime.date(2026, 12, 1)),
    }


def test_the_guard_sees_the_subjects():
    assert len(SUBJECTS) >= 8


@pytest.mark.parametrize("template", SUBJECTS)
def test_a_subject_is_never_html_escaped(template):
    subject = render_to_string(template, _context())
    for escaped in ("&#x27;", "&amp;", "&lt;", "&quot;", "&#39;"):
        assert escaped not in subject, f"{template}: {subject!r}"
