"""What every PDF of the portal shares (reportlab): the margins, the page
numbers written once the total is known, and the escaping of text for
reportlab's Paragraph markup. The staff's attendance sheet and kitchen week
(portail/staff) and the invoices (portail/billing) use it; it lives here, in
`web`, because both floors may import `web` and neither may import the other.
"""

from django.utils.translation import gettext
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as pdf_canvas

from portail.lib.validators import strip_control_characters

MARGIN = 12 * mm


class NumberedCanvas(pdf_canvas.Canvas):
    """Writes "Page n / total" once the total is known (pages are kept until save)."""

    page_width = A4[0]  # where the page number is right-aligned (a landscape subclass changes it)

    def __init__(self, *args, footer="", **kwargs):
        super().__init__(*args, **kwargs)
        self._pages = []
        self._footer = footer

    def showPage(self):  # noqa: N802 - reportlab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.setFont("Helvetica", 8)
            self.setFillColor(colors.grey)
            self.drawString(MARGIN, 7 * mm, self._footer)
            self.drawRightString(
                self.page_width - MARGIN,
                7 * mm,
                gettext("Page %(number)s / %(total)s") % {"number": self._pageNumber, "total": total},
            )
            super().showPage()
        super().save()


def escape(text):
    """Text for a reportlab Paragraph (its own mini markup), without control
    characters (rows stored before the model validators refused them)."""
    return strip_control_characters(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
