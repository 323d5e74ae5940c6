"""Files a parent might send, and files an attacker would (issue 17 point 4)."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"><circle r="9"/></svg>'
# Starts like a PDF, is a page: a browser that sniffed it would run the script.
PDF_THAT_IS_HTML = b"%PDF-1.4\n<html><script>alert(document.cookie)</script></html>\n%%EOF\n"
# JPEG's first bytes in front of a page.
JPEG_THAT_IS_HTML = b"\xff\xd8\xff\xe0" + HTML


def image_bytes(kind="PNG"):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format=kind)
    return buffer.getvalue()


def upload(data, name="attestation.pdf", content_type="application/pdf"):
    return SimpleUploadedFile(name, data, content_type=content_type)
