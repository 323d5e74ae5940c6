"""`__in` on integer columns ignores the values no row can hold (issue 12, point 2).

Django (5.x) already answers an `exact` or `gt` lookup with an out-of-range
integer without asking the database (IntegerFieldOverflow); `in` still sends
the value, and SQLite's driver raises OverflowError (a 500) for a posted id
such as 9223372036854775808 in a multiple choice (the admin's group
permissions, a family's accounts). Such a value matches no row, so it is dropped,
and an empty list matches nothing, as Django does for `exact`.
"""

from typing import TYPE_CHECKING, Any

from django.db.models import IntegerField
from django.db.models.lookups import In

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler


class IntegerFieldIn(In):
    def process_rhs(self, compiler: "SQLCompiler", connection: "BaseDatabaseWrapper") -> tuple[str, Any]:
        if self.rhs_is_direct_value():
            low, high = connection.ops.integer_field_range(self.lhs.output_field.get_internal_type())
            self.rhs = [
                value
                for value in self.rhs
                if not isinstance(value, int) or ((low is None or value >= low) and (high is None or value <= high))
            ]
        return super().process_rhs(compiler, connection)


def register() -> None:
    IntegerField.register_lookup(IntegerFieldIn)
