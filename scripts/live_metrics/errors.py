"""The one exception type the CLI turns into a one-line error and a non-zero exit."""


class UserError(Exception):
    """A problem the user can fix (bad input, missing file, locked database).

    The CLI prints ``error: <message>`` on one line and exits with ``exit_code``.
    """

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code
