"""The attendance report's period: a GET form, so no CSRF token."""
from __future__ import annotations

from calendar import monthrange
from datetime import date

from flask_babel import lazy_gettext as _l

from ..board.history_forms import DayField
from ..forms import Form


class PeriodForm(Form):
    """From and to, local days, both included; typed dd/mm/yyyy, or ISO as links carry them."""

    class Meta:
        csrf = False

    date_from = DayField(_l("From date"), name="from")
    date_to = DayField(_l("To date"), name="to")

    def period(self, today: date) -> tuple[date, date]:
        """The days asked for; a missing end is today (or the end of that month, for a period ahead),
        a missing start the first of the end's month: this month so far when both are missing."""
        last = self.date_to.data
        first = self.date_from.data
        if last is None:
            last = today if first is None or first <= today else first.replace(
                day=monthrange(first.year, first.month)[1])
        if first is None:
            first = last.replace(day=1)
        return first, last

    def show(self, first: date, last: date) -> None:
        """Put the period used back in the fields, as dd/mm/yyyy."""
        for field, value in ((self.date_from, first), (self.date_to, last)):
            field.data, field.raw_data = value, None

    def arguments(self) -> dict[str, str]:
        """The period as ISO dates, for the export and print links."""
        return {"from": self.date_from.data.isoformat(), "to": self.date_to.data.isoformat()}
