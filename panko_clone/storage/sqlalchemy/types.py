"""Column types that keep Panko 10's on-disk formats.

Keeping them lets ``panko-clone-dbsync`` adopt a Panko database in place:
timestamps are DECIMAL(20,6) epoch seconds on MySQL/MariaDB (which once
lacked fractional DATETIME) and plain DATETIME elsewhere; ``raw`` is JSON
text.
"""

import datetime
import decimal
import json

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

_EPOCH = datetime.datetime(1970, 1, 1)


def datetime_to_decimal(value):
    """Naive UTC datetime -> Decimal epoch seconds, exact to the usec."""
    delta = value - _EPOCH
    micros = (delta.days * 86400 + delta.seconds) * 10 ** 6 + \
        delta.microseconds
    return decimal.Decimal(micros).scaleb(-6)


def decimal_to_datetime(value):
    """Decimal epoch seconds -> naive UTC datetime."""
    micros = int(decimal.Decimal(value).scaleb(6))
    return _EPOCH + datetime.timedelta(microseconds=micros)


class PreciseTimestamp(sa.types.TypeDecorator):
    """A timestamp precise to the microsecond on every dialect."""

    impl = sa.DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == 'mysql':
            return dialect.type_descriptor(
                mysql.DECIMAL(precision=20, scale=6, asdecimal=True))
        return dialect.type_descriptor(sa.DateTime())

    def process_bind_param(self, value, dialect):
        if value is not None and dialect.name == 'mysql':
            return datetime_to_decimal(value)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and dialect.name == 'mysql':
            return decimal_to_datetime(value)
        return value

    def result_processor(self, dialect, coltype):
        """Elsewhere than MySQL, the plain DATETIME's own processor.

        A TypeDecorator otherwise calls ``process_result_value`` on
        every value of every row, NULLs included, even where it changes
        nothing: a page's traits are a thousand rows.
        """
        if dialect.name == 'mysql':
            return super().result_processor(dialect, coltype)
        return self.load_dialect_impl(dialect).result_processor(
            dialect, coltype)


# How json.dumps writes an empty object.
EMPTY_DOCUMENT = '{}'


class JSONEncodedDict(sa.types.TypeDecorator):
    """A JSON document kept as text, as Panko kept ``raw``."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return json.dumps(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value == EMPTY_DOCUMENT:
            # What an event without a kept notification holds (the
            # default), read a hundred times a page: json.loads takes
            # a microsecond each for it.
            return {}
        return json.loads(value)
