"""Walking an error back to the errors it arose from.

A DBAPI error reaches the driver wrapped: SQLAlchemy raises its own
``from`` the DBAPI's, and oslo.db's filters raise theirs in turn. What
tells one failure from another (a class, a SQLSTATE, a message) may be
on any of them.
"""


def causes(err):
    """``err``, then what it was raised from or while handling, in turn.

    Stops at the first error without either, or at one already seen.
    """
    seen = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        yield err
        err = err.__cause__ or err.__context__
