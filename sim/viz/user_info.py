"""What the explorer tells about one user when the pointer rests on it: its display state,
the gifts it has sent and received so far, and the size of the cascade it belongs to."""

from __future__ import annotations

import numpy as np

from ..metrics import forest_roots, restrict
from ..model import GiftModel
from .state import UserState, user_states

__all__ = ["UserInfo"]


class UserInfo:
    """Details of single users of one model, read at the model's current step.

    The display states and the cascade roots (O(n_users) each) are computed once per step
    and reused for every user asked about during that step; a user's gift counts cost
    O(gifts sent so far).

    Parameters
    ----------
    model : GiftModel
    """

    def __init__(self, model: GiftModel) -> None:
        self.model = model
        self._step = -1
        self._states = np.zeros(0, dtype=np.int8)
        self._roots = np.zeros(0, dtype=np.int64)

    def _refresh(self) -> None:
        m = self.model
        if self._step != m.step_index:
            p = m.population
            self._states = user_states(m)
            self._roots = forest_roots(restrict(p.parent, p.aware))
            self._step = m.step_index

    def __call__(self, user: int) -> dict[str, int | str]:
        """The details of ``user``.

        Returns
        -------
        dict
            ``user`` (int), ``state`` (lower-case :class:`~sim.viz.state.UserState` name),
            ``sent`` and ``received`` (gifts so far; each unit of a group gift counts, an
            unclaimed unit has no recipient yet), ``cascade`` (users in its adoption
            cascade, 0 if it is not aware of the feature).

        Raises
        ------
        ValueError
            If ``user`` is not a user id.
        """
        n = self.model.population.n_users
        user = int(user)
        if not 0 <= user < n:
            raise ValueError(f"user {user} is not a user (0..{n - 1})")
        self._refresh()
        led = self.model.ledger
        root = int(self._roots[user])
        return {
            "user": user,
            "state": UserState(int(self._states[user])).name.lower(),
            "sent": int(np.count_nonzero(led.column("sender") == user)),
            "received": int(np.count_nonzero(led.column("recipient") == user)),
            "cascade": int(np.count_nonzero(self._roots == root)) if root >= 0 else 0,
        }
