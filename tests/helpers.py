import html


def page_text(response):
    """The page's HTML with entities decoded, so French apostrophes compare plainly."""
    return html.unescape(response.content.decode())
