"""The one exception type the CLI turns into a single line and a non-zero exit."""


class LivehandError(Exception):
    """A problem the user can fix (bad input, missing model, wrong GPU); str() is the whole message."""
