"""What the explorer's controls do to an :class:`ExplorerSession`, and the one error
message they leave on screen: a refused value (a parameter outside its range, a
negative seed) shows its message until the next value is accepted, then the message
goes. Kept apart from the page so that it can be tested without a browser."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..scenario import ScenarioError
from .session import ExplorerSession

__all__ = ["ExplorerActions"]


@dataclass(eq=False)
class ExplorerActions:
    """The explorer's parameter, seed and restore actions over one session.

    Attributes
    ----------
    session : ExplorerSession
    error : str or None
        The message of the last refused value; None once a value is accepted (or the
        scenario restored).
    """

    session: ExplorerSession
    error: str | None = None

    def set_value(self, key: str, value: Any) -> str | None:
        """Change one parameter (the model restarts from day 0); a refused value leaves
        the session as it was. Returns :attr:`error`."""
        try:
            self.session.set_value(key, value)
        except (ScenarioError, ValueError) as err:
            self.error = str(err)
        else:
            self.error = None
        return self.error

    def set_seed(self, value: int | None) -> str | None:
        """Run with seed ``value`` from day 0; a negative seed is refused (the session
        keeps its seed). An empty box (None) changes nothing; a valid seed, even the
        one already running, clears the message. Returns :attr:`error`."""
        if value is None:
            return self.error
        try:
            if int(value) != self.session.seed:
                self.session.set_seed(value)
        except ValueError as err:
            self.error = str(err)
        else:
            self.error = None
        return self.error

    def restore(self) -> str | None:
        """Back to the scenario file, from day 0; clears the message. Returns None."""
        self.session.restore()
        self.error = None
        return self.error
