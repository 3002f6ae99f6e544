"""Schema of the users' response to stimuli: saturation, novelty decay and habit
(``[population.response]``, issue 14).

Every parameter is an assumption (no published figure) with the range the calibration
should search; the defaults switch the mechanism off (``enabled = false``: the chance to
send is not multiplied, no per-user stock is kept).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictFloat

__all__ = ["ResponseConfig"]


class ResponseConfig(BaseModel):
    """A user's response to the stimuli they met, multiplying every chance to send a gift
    (on a visit, sending back, paying forward): ``max_multiplier * I / (I + half_saturation)``
    (Michaelis-Menten: decreasing returns, half of the maximum at ``I = half_saturation``),
    where the interest ``I = s + h`` is the stimulus stock ``s`` (each received gift opened,
    invitation seen, push received and commercial impression seen adds its weight; the stock
    halves every ``novelty_half_life_days`` without new stimulus) plus the habit ``h`` (each
    gift sent adds ``habit_gain``; halves every ``habit_half_life_days``). Leskovec, Adamic &
    Huberman (2007) found the chance to buy saturates quickly with the recommendations received.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, validate_default=True,
                              use_attribute_docstrings=True)

    enabled: bool = False
    """Whether the response multiplies the chances to send (assumption; off: the chances are
    as without this table)."""
    half_saturation: StrictFloat = Field(default=1.0, gt=0.0, le=1_000.0)
    """Interest at which the response is half its maximum (assumption; range 0.2-10)."""
    max_multiplier: StrictFloat = Field(default=2.0, ge=0.0, le=100.0)
    """Multiplier of the chance to send at saturation (assumption; range 1-5; neutral: the
    mechanism off)."""
    gift_weight: StrictFloat = Field(default=1.0, ge=0.0, le=100.0)
    """Stimulus of a received gift opened (assumption; range 0.5-2; the unit of the stock)."""
    invitation_weight: StrictFloat = Field(default=0.5, ge=0.0, le=100.0)
    """Stimulus of a friend's invitation seen (assumption; range 0.1-1)."""
    push_weight: StrictFloat = Field(default=0.2, ge=0.0, le=100.0)
    """Stimulus of a platform push received (assumption; range 0.05-0.5)."""
    impression_weight: StrictFloat = Field(default=0.02, ge=0.0, le=100.0)
    """Stimulus of one commercial impression seen (assumption; range 0.005-0.1)."""
    novelty_half_life_days: StrictFloat = Field(default=7.0, gt=0.0, le=3_650.0)
    """Days in which the stimulus stock halves without new stimulus (novelty decay,
    exponential; assumption; range 1-60)."""
    habit_gain: StrictFloat = Field(default=0.5, ge=0.0, le=100.0)
    """Habit added by each gift sent (assumption; range 0-2; 0: no habit)."""
    habit_half_life_days: StrictFloat = Field(default=90.0, gt=0.0, le=3_650.0)
    """Days in which the habit halves (slower than novelty; assumption; range 30-365)."""
