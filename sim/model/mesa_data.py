"""The model's ``mesa.DataCollector``: the daily series, as Mesa's tools read them.

``mesa.batch_run`` and SolaraViz's plot components (``make_plot_component``) read a
model's ``datacollector``. Its model reporters read the row the
:class:`~sim.model.Recorder` has just written (one per step, a day unless
``time.step_hours`` < 24): no agent reporters, nothing per user; collecting a step notes
it (about 2 microseconds) and the values are read from the recorder's columns when asked
for (:class:`SeriesCollector`).
"""

from __future__ import annotations

import operator
from functools import partial

import mesa
import numpy as np

from .recorder import SERIES

__all__ = ["SHARES", "REPORTERS", "series_value", "share_of_users", "run_seed", "step_date", "SeriesCollector",
           "make_datacollector"]

SHARES: dict[str, tuple[str, str]] = {
    "adoption_share": ("senders", "share of users who have sent at least one gift, [0, 1]"),
    "aware_share": ("aware_users", "share of users who know the gift feature, [0, 1]"),
    "muted_share": ("muted_users", "share of users who muted commerce, [0, 1]"),
}
"""Reporter name -> (the cumulative series it divides by the number of users, meaning); at the
last step each equals the run summary's key of the same name."""

REPORTERS: tuple[str, ...] = ("seed", "date", *SERIES, *SHARES)
"""The model reporters, in order: ``seed`` (the run's seed: in ``mesa.batch_run``'s rows it
replaces the ``seed`` argument, None when batch_run let the model draw one), ``date`` (ISO
date of the step), every series of :data:`sim.model.SERIES`, then :data:`SHARES`."""


def series_value(model, name: str) -> int | float:
    """Series ``name`` of the last step the model ran (a Python int or float)."""
    return model.recorder.columns[name][model.step_index - 1].item()


def share_of_users(model, name: str) -> float:
    """Series ``name`` of the last step divided by the number of users."""
    return model.recorder.columns[name][model.step_index - 1].item() / model.graph.n_users


def run_seed(model) -> int:
    """The run's seed (``model.seed``; -1 for a SeedSequence, as :class:`sim.RunResult` has it)."""
    return -1 if isinstance(model.seed, np.random.SeedSequence) else int(model.seed)


def step_date(model) -> str:
    """ISO date (``YYYY-MM-DD``) of the last step the model ran."""
    return str(model.calendar.dates[model.step_index - 1])[:10]


class SeriesCollector(mesa.DataCollector):
    """A ``mesa.DataCollector`` whose default reporters are read from the recorder when read.

    With the reporters :func:`make_datacollector` gave it (and no agent reporters),
    :meth:`collect` only notes the step (about a microsecond); ``model_vars`` (and so
    ``get_model_vars_dataframe()`` and ``mesa.batch_run``'s rows) fills in the noted steps'
    values from the recorder's columns when it is read: the values the reporters return,
    without Mesa's call, check and copy per reporter and step. Once a reporter is added or
    replaced, the noted steps are filled in and Mesa's own ``collect`` runs from then on.

    Parameters
    ----------
    model_reporters : dict of str to callable
        As ``mesa.DataCollector``'s.
    """

    def __init__(self, model_reporters: dict) -> None:
        self._pending: list[int] = []  # recorder rows collected, not yet in model_vars
        self._source = None  # the model they come from
        super().__init__(model_reporters=model_reporters)
        self.own_reporters = dict(model_reporters)

    @property
    def model_vars(self) -> dict[str, list]:
        """Reporter name -> its value at every collected step (Mesa's attribute, filled in on reading)."""
        if self._pending:
            self._fill()
        return self._model_vars

    @model_vars.setter
    def model_vars(self, value: dict[str, list]) -> None:
        self._model_vars = value

    def _fill(self) -> None:
        model, rows = self._source, np.asarray(self._pending, dtype=np.int64)
        self._pending = []
        out, cols, n_users = self._model_vars, model.recorder.columns, model.graph.n_users
        out["seed"].extend([run_seed(model)] * rows.size)
        out["date"].extend(str(d)[:10] for d in model.calendar.dates[rows])
        for name in SERIES:
            out[name].extend(cols[name][rows].tolist())
        for name, (column, _) in SHARES.items():
            out[name].extend((cols[column][rows] / n_users).tolist())

    def is_default(self) -> bool:
        """Whether the reporters are still the ones given (same names, same objects, no agent reporters)."""
        mine, now = self.own_reporters, self.model_reporters
        return (len(now) == len(mine) and all(map(operator.is_, now.values(), mine.values()))
                and not self.agent_reporters and not self.agenttype_reporters)

    def collect(self, model) -> None:
        """Record the model's last step (see the class notes)."""
        if not self.is_default():
            if self._pending:
                self._fill()
            super().collect(model)
            return
        self._source = model
        self._collection_steps.append(model.time)
        self._pending.append(model.step_index - 1)


def make_datacollector() -> SeriesCollector:
    """A ``mesa.DataCollector`` with one model reporter per name of :data:`REPORTERS`.

    The reporters are module functions and ``functools.partial`` objects (picklable, so
    ``mesa.batch_run`` can run models in worker processes); :meth:`GiftModel.step` calls
    ``collect`` once at the end of every step, so row ``i`` of
    ``get_model_vars_dataframe()`` is row ``i`` of the daily series (``sim.run(...).series``),
    and ``mesa.batch_run``'s rows have ``Step`` ``i + 1`` (Mesa's ``model.time`` after the step).

    Returns
    -------
    SeriesCollector
    """
    reporters = {"seed": run_seed, "date": step_date}
    reporters.update({name: partial(series_value, name=name) for name in SERIES})
    reporters.update({name: partial(share_of_users, name=column) for name, (column, _) in SHARES.items()})
    return SeriesCollector(reporters)
