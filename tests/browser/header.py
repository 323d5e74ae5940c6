"""The site header in browser tests: on a phone its account, structure and
menu part is folded behind the "Menu" button (issue 14 point 1)."""

from playwright.sync_api import expect


def open_menu(page):
    """Unfold the header's menu if the screen is narrow enough to fold it (a no-op on a wide screen).

    Waits for the page with the header (after a login's click the login page may still be shown)."""
    page.locator("header.site-header").wait_for()
    button = page.locator("#site-menu-button")
    if button.is_visible() and button.get_attribute("aria-expanded") != "true":
        button.click()
        expect(button).to_have_attribute("aria-expanded", "true")
