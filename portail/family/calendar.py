"""How a month of day states is shown: a table of weeks, each cell with an
icon, a visible or screen-reader text, and what clicking it does. Colour is
never the only cue (RGAA): every state has an icon and a text."""

import datetime
from dataclasses import dataclass

from django.utils.dates import WEEKDAYS_ABBR
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portail.booking.rules import Mark, S, T
from portail.lib.dates import MONTH_NAMES, WEEKDAY_NAMES, short_day

# state -> (icon, short text, legend text from the manual)
S_STYLE = {
    S.CLOSED: ("·", _("fermé"), _("L'activité n'est pas ouverte ou vous êtes hors délai pour réserver ce jour.")),
    S.FULL: ("✕", _("complet"), _("L'activité est complète (liste d'attente comprise) : vous ne pouvez plus la réserver.")),
    S.FREE: ("○", _("libre"), _("L'activité est ouverte, vous ne l'avez pas réservée (places restantes indiquées si limitées).")),
    S.WAITLIST_OPEN: ("◔", _("liste d'attente possible"), _("L'activité est complète, mais vous pouvez vous inscrire en liste d'attente.")),
    S.BOOKED: ("✓", _("réservé"), _("Vous avez réservé cette activité, vous pouvez encore l'annuler.")),
    S.WAITLISTED: ("◑", _("en liste d'attente"), _("Vous êtes en liste d'attente pour cette activité, vous pouvez encore l'annuler.")),
    S.BOOKED_LOCKED: ("✔", _("réservé, hors délai"), _("Vous avez réservé cette activité, mais vous êtes hors délai pour l'annuler.")),
    S.WAITLISTED_LOCKED: ("◐", _("liste d'attente, hors délai"), _("Vous êtes en liste d'attente pour cette activité, hors délai pour l'annuler.")),
}  # fmt: skip
MARK_STYLE = {
    Mark.BOOK: ("+", _("à réserver"), _("Jour que vous avez choisi de réserver (pas encore enregistré).")),
    Mark.CANCEL: ("−", _("à annuler"), _("Jour que vous avez choisi d'annuler (pas encore enregistré).")),
}
T_STYLE = {
    T.NOTHING: ("·", _("rien à réserver"), _("Aucune activité n'est ouverte ou vous êtes hors délai pour réserver les activités ouvertes.")),
    T.ALL_FULL: ("✕", _("tout complet"), _("Toutes les activités sont complètes (liste d'attente comprise).")),
    T.FREE: ("○", _("ouvert"), _("Au moins une activité est ouverte, vous n'en avez réservé aucune.")),
    T.WAITLIST_OPEN: ("◔", _("liste d'attente possible"), _("Au moins une activité est ouverte et au moins une est complète mais a encore des places en liste d'attente. Vous n'avez réservé aucune activité.")),
    T.BOOKED: ("✓", _("réservé"), _("Vous avez réservé au moins une activité. Vous pouvez encore réserver ou annuler certaines activités.")),
    T.BOOKED_WAITLIST: ("◑", _("réservé, liste d'attente"), _("Vous avez réservé au moins une activité ; au moins une (réservée ou demandée) est ou sera en liste d'attente. D'autres restent modifiables.")),
    T.LOCKED: ("✔", _("réservé, hors délai"), _("Vous avez réservé une ou plusieurs activités, mais vous êtes hors délai pour les annuler. Aucune autre activité ne peut être réservée.")),
    T.LOCKED_WAITLIST: ("◐", _("réservé (liste d'attente), hors délai"), _("Vous avez réservé une ou plusieurs activités, dont au moins une en liste d'attente, mais vous êtes hors délai pour les annuler. Aucune autre activité ne peut être réservée.")),
}  # fmt: skip
# The column heads « Lun » … « Dim » (Django's abbreviations, "Mon" … "Sun" in English).
WEEKDAY_ABBR = [capfirst(WEEKDAYS_ABBR[n]) for n in range(7)]
# The arrow above each weekday column: its title and its screen-reader text.
# One sentence per day, so that each language words it whole ("Every Monday").
WEEKDAY_TOOLS = [
    (_("Tous les lun. du mois"), _("Tous les lun. du mois : réserver ou annuler")),
    (_("Tous les mar. du mois"), _("Tous les mar. du mois : réserver ou annuler")),
    (_("Tous les mer. du mois"), _("Tous les mer. du mois : réserver ou annuler")),
    (_("Tous les jeu. du mois"), _("Tous les jeu. du mois : réserver ou annuler")),
    (_("Tous les ven. du mois"), _("Tous les ven. du mois : réserver ou annuler")),
    (_("Tous les sam. du mois"), _("Tous les sam. du mois : réserver ou annuler")),
    (_("Tous les dim. du mois"), _("Tous les dim. du mois : réserver ou annuler")),
]


def weekday_heads():
    """(abbreviation, tool title, tool text) of each column head, Monday first."""
    return [(abbr, title, text) for abbr, (title, text) in zip(WEEKDAY_ABBR, WEEKDAY_TOOLS, strict=True)]


@dataclass(frozen=True)
class Cell:
    day: datetime.date
    code: str  # "S2", "T4", "book"…: the CSS class and the test hook
    icon: str
    text: str
    places_left: int | None = None
    waiting_position: int | None = None
    clickable: bool = False
    reason: str | None = None

    @property
    def iso(self):
        return self.day.isoformat()

    @property
    def short(self):
        return short_day(self.day)

    @property
    def label(self):
        """Full text for screen readers and the title attribute."""
        # Translators: a day in the calendar's labels, « lundi 15 mai ».
        day = _("%(weekday)s %(day)s %(month)s") % {
            "weekday": WEEKDAY_NAMES[self.day.weekday()], "day": self.day.day, "month": MONTH_NAMES[self.day.month - 1],
        }  # fmt: skip
        parts = [day, str(self.text)]
        if self.places_left is not None and self.code in ("S2", "book"):
            # French takes the singular for 0 and 1 ("0 place restante"), as before.
            parts.append(
                ngettext("%(count)s place restante", "%(count)s places restantes", 2 if self.places_left > 1 else 1)
                % {"count": self.places_left}
            )
        if self.waiting_position:
            parts.append(_("position %(position)s") % {"position": self.waiting_position})
        if self.reason and self.code in ("S0", "S1", "S6", "S7"):
            parts.append(str(self.reason))
        return ", ".join(parts)


def s_cell(day, state):
    if state.mark is not None:
        icon, text, _ = MARK_STYLE[state.mark]
        code = state.mark.value
    else:
        icon, text, _ = S_STYLE[state.state]
        code = state.state.value
    return Cell(
        day, code, icon, text, places_left=state.places_left, waiting_position=state.waiting_position,
        clickable=state.actionable, reason=state.reason,
    )  # fmt: skip


def t_cell(day, t_state, any_actionable):
    icon, text, _ = T_STYLE[t_state]
    return Cell(day, t_state.value, icon, text, clickable=t_state is not T.NOTHING or any_actionable)


@dataclass(frozen=True)
class Week:
    monday: datetime.date
    cells: list  # 7 Cells, None outside the month


def weeks(first, last):
    """(Monday, days) of the weeks covering the month; days outside the month are None."""
    monday = first - datetime.timedelta(days=first.weekday())
    rows = []
    while monday <= last:
        days = [monday + datetime.timedelta(days=n) for n in range(7)]
        rows.append((monday, [d if first <= d <= last else None for d in days]))
        monday += datetime.timedelta(days=7)
    return rows


def month_grid(month, activity_id=None):
    """Weeks of cells for one activity (S-states) or for all activities (T-states)."""
    if activity_id is not None:
        days = month.activities[0].days if month.activities else {}

        def make(day):
            return s_cell(day, days[day])
    else:

        def make(day):
            return t_cell(day, month.t_states[day], any(a.days[day].actionable for a in month.activities))

    def cell(day):
        if day is None:
            return None
        if not month.activities:
            return Cell(day, S.CLOSED.value, *S_STYLE[S.CLOSED][:2])
        return make(day)

    return [Week(monday, [cell(d) for d in days]) for monday, days in weeks(month.first, month.last)]


def legend(activity_id=None):
    if activity_id is not None:
        return [(s.value, *S_STYLE[s]) for s in S] + [(m.value, *MARK_STYLE[m]) for m in Mark]
    return [(t.value, *T_STYLE[t]) for t in T]
