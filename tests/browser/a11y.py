"""axe in the browser tests: the violations a page may not have (serious or
critical), as one line each naming the screen, the rule and where."""

from axe_playwright_python.sync_playwright import Axe

AXE = Axe()
BLOCKING = ("serious", "critical")


def blocking_violations(page, screen):
    """The serious and critical axe violations of `page`, described for a failure message."""
    found = []
    for violation in AXE.run(page).response["violations"]:
        if violation["impact"] in BLOCKING:
            targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]][:5]
            found.append(f"{screen}: {violation['impact']} {violation['id']} — {violation['help']} {targets}")
    return found
