"""Errors a user can fix: the CLI prints their message, never a traceback."""


class InputError(Exception):
    """Bad input; the message names the file or row and the problem."""
