"""The tools' one exit policy: 0 fine, 1 a finding (a slowdown, an unsynced site), 2 bad input."""


class BadInput(Exception):
    """The user's input names something that does not exist or cannot be read (exit status 2).

    The message is one line and names what does exist."""


FINDING = 1
"""Exit status of a command that ran and found something the user must act on."""


def first_line(exc):
    """The first line of an exception's message (asv's errors can span many)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def listing(items, limit=12):
    """'a, b, c' for a one-line error message, '... and N more' past `limit`."""
    items = list(items)
    if not items:
        return "(none)"
    head = ", ".join(str(i) for i in items[:limit])
    return head + (f" ... and {len(items) - limit} more" if len(items) > limit else "")
