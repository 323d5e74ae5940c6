"""French date formats used across the portal, independent of the OS locale."""

WEEKDAY_ABBR = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")
WEEKDAY_NAMES = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTH_NAMES = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip


def short_day(day):
    """'lun. 15/05', the form of the manual's e-mails and calendars."""
    return f"{WEEKDAY_ABBR[day.weekday()]} {day:%d/%m}"


def long_date(day):
    """'lundi 15 mai 2023'."""
    return f"{WEEKDAY_NAMES[day.weekday()]} {day.day} {MONTH_NAMES[day.month - 1]} {day.year}"
