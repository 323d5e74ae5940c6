"""Names of the files the portal offers for download."""

import re
import unicodedata


def ascii_slug(text: str, max_length: int = 100) -> str:
    """ASCII letters, digits and dashes only ("Crèche \"Les P'tits\"" ->
    "creche-les-p-tits"), at most `max_length` characters; "" when nothing is left."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:max_length].strip("-")


def ascii_filename(parts: list[object], extension: str, fallback: str = "export") -> str:
    """A file name that is safe in a Content-Disposition header on every
    browser. A name with a quote broke the header; one with a line break made
    Django refuse the header (a 500)."""
    stem = ascii_slug("-".join(str(part) for part in parts))
    return f"{stem or fallback}.{extension}"


def content_disposition(disposition: str, parts: list[object], extension: str) -> str:
    """The Content-Disposition header's value for a file named from `parts`."""
    return f'{disposition}; filename="{ascii_filename(parts, extension)}"'
