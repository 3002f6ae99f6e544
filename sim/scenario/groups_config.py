"""The ``[groups]`` table: chat groups beside the friendship graph, group gifts and group
red envelopes (issue #14).

Off by default (``enabled = false``): the run then has no groups, draws nothing for them
and is identical to a run without the table. Values marked "assumption" have no published
figure behind them; the range given is the one a calibration should search.

Sources: WeChat's group gift (one box for a chat group with k units, first come first
served; from late January 2025, domain.md); group red envelopes (cash split at random into
k shares, the largest is the "luckiest draw"; Yuan, Liu, Tan, Chen, Pentland & Tang, "Gift
contagion in online groups", arXiv 1906.09698: a claimer sends 0.18 RMB back to the group
within 24 hours per RMB received, more after the luckiest draw).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt

from .distributions import LogNormal, PositiveDist

__all__ = ["GroupsConfig", "MAX_GROUP_SIZE"]

MAX_GROUP_SIZE = 500
"""Largest chat group WeChat allows (members)."""


class GroupsConfig(BaseModel):
    """Chat groups and the gifts sent to them (``[groups]``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, validate_default=True,
                              use_attribute_docstrings=True)

    enabled: bool = False
    """Whether the run has chat groups (and group gifts); false: none, as before issue #14."""
    file: str | None = Field(default=None, min_length=1)
    """A groups file: one group a line, its members' user ids (as in the graph file; 0..n-1
    for a generated graph) separated by white space or commas; ``#`` starts a comment.
    Leave out to generate the groups (``memberships_per_user``, ``size``, ``friend_share``)."""
    memberships_per_user: StrictFloat = Field(default=3.0, gt=0.0, le=50.0)
    """Mean number of groups a user belongs to (generated groups): groups are drawn until
    their sizes add up to this many memberships per user (assumption; range 1-10)."""
    size: PositiveDist = LogNormal(median=8.0, sigma=0.8)
    """Size of a generated group, members, rounded and clipped to [2, ``max_size``]
    (assumption: lognormal, median 8; range of the median 4-20, sigma 0.5-1.2)."""
    max_size: StrictInt = Field(default=MAX_GROUP_SIZE, ge=2, le=MAX_GROUP_SIZE)
    """Largest generated group, members (source: WeChat caps a group chat at 500 members)."""
    friend_share: StrictFloat = Field(default=0.8, ge=0.0, le=1.0)
    """Chance that each member of a generated group after its founder is a friend of the
    founder (drawn uniformly among the founder's friends), else a user drawn uniformly;
    duplicates are dropped, so groups have in-group friends (assumption; range 0.5-1)."""
    group_gift_rate: StrictFloat = Field(default=0.0, ge=0.0, le=1.0)
    """Chance per active day that a user who sees the gift button, is not muted and is in a
    group starts a group gift from the chat entry (times the occasion lift), in one of their
    groups drawn uniformly (assumption; neutral 0; range 0.001-0.05)."""
    unit_share: StrictFloat = Field(default=0.5, gt=0.0, le=1.0)
    """Units (shares) of a group gift: ceil(unit_share * (group size - 1)), at least 1
    (assumption; range 0.2-1)."""
    claim_probability: StrictFloat = Field(default=0.6, ge=0.0, le=1.0)
    """Chance that an active member opens the group chat on a day a box is claimable
    (claims are first come first served, in random order; assumption; range 0.2-0.9)."""
    send_back_base: StrictFloat = Field(default=0.005, ge=0.0, le=20.0)
    """Send-back hazard at 0 RMB received: a claimer sends a group gift back to the group on
    the day of the claim with probability 1 - exp(-(send_back_base + send_back_per_rmb * a)
    * L), a the amount received (RMB), L = ``send_back_luckiest`` for the luckiest draw of a
    red envelope, else 1 (assumption: 0.005 with send_back_per_rmb 0.003 gives 0.19 RMB sent
    back per RMB claimed in red_envelope_2014 with group_gift_rate 0.01; range 0-0.1; neutral 0
    with send_back_per_rmb 0)."""
    send_back_per_rmb: StrictFloat = Field(default=0.003, ge=0.0, le=10.0)
    """Send-back hazard per RMB received (see ``send_back_base``; assumption, range 0-0.02,
    set so that red envelopes send back about Yuan et al.'s 0.18 RMB per RMB received within
    24 hours; for product group gifts, whose boxes cost k prices, about 0)."""
    send_back_luckiest: StrictFloat = Field(default=2.0, ge=1.0, le=20.0)
    """Multiplier of the send-back hazard for the luckiest draw (the largest share of a red
    envelope; Yuan et al.: much stronger; assumption, range 1-5; neutral 1)."""
