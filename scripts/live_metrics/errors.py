"""The one exception type the CLI turns into a one-line error and a non-zero exit."""

DEBUG_ENV_VAR = "LIVE_METRICS_DEBUG"  # set to 1 to see the underlying traceback instead of a one-line error


class UserError(Exception):
    """A problem the user can fix (bad input, missing file, locked database).

    The CLI prints ``error: <message>`` on one line and exits with ``exit_code``.
    """

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class NoDataYet(UserError):
    """The warehouse is built but holds no clean live event yet (an empty or all-bad log).

    Not a failure: the CLI prints ``no data yet: <message>`` on one line and exits 0, so a
    pipeline run on an empty log still completes.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message, exit_code=0)


NO_DATA_YET = "the event log has no clean live event yet, so there is nothing to measure"
