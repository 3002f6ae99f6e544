"""What the explorer tells about one user when the pointer rests on it: its display state,
the gifts it has sent and received so far, and the size of the cascade it belongs to."""

from __future__ import annotations

import numpy as np

from ..model import GiftModel
from .state import UserState, cascade_sizes, gift_counts, user_states

__all__ = ["UserInfo"]


class UserInfo:
    """Details of single users of one model, read at the model's current step.

    The display states, gift counts and cascade sizes (:func:`~sim.viz.state.user_states`,
    :func:`~sim.viz.state.gift_counts`, :func:`~sim.viz.state.cascade_sizes`: O(n_users + gifts
    sent) together) are computed once per step and read for every user asked about during it.

    Parameters
    ----------
    model : GiftModel
    """

    def __init__(self, model: GiftModel) -> None:
        self.model = model
        self._step = -1
        self._states = np.zeros(0, dtype=np.int8)
        self._sent = self._received = self._cascade = np.zeros(0, dtype=np.int64)

    def _refresh(self) -> None:
        m = self.model
        if self._step != m.step_index:
            self._states = user_states(m)
            self._sent, self._received = gift_counts(m)
            self._cascade = cascade_sizes(m)
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
        return {
            "user": user,
            "state": UserState(int(self._states[user])).name.lower(),
            "sent": int(self._sent[user]),
            "received": int(self._received[user]),
            "cascade": int(self._cascade[user]),
        }
