"""axe in the browser tests: the violations a page may not have (serious or
critical), as one line each naming the screen, the rule and where."""

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Error

AXE = Axe()
BLOCKING = ("serious", "critical")


def blocking_violations(page, screen):
    """The serious and critical axe violations of `page`, described for a failure message."""
    page.wait_for_load_state("load")
    try:
        response = AXE.run(page).response
    except Error:
        # A click's navigation replaced the document while axe read it: check
        # the page it led to, once it has loaded.
        page.wait_for_load_state("load")
        response = AXE.run(page).response
    found = []
    for violation in response["violations"]:
        if violation["impact"] in BLOCKING:
            targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]][:5]
            found.append(f"{screen}: {violation['impact']} {violation['id']} — {violation['help']} {targets}")
    return found
