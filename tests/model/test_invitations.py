"""Invitations are events: every induced-sharing invitation is in ``invitations.parquet``,
and every cascade edge (a user with a parent) is traceable to the gift or the invitation
that made the user aware."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim import load_scenario, run
from sim.model import GiftModel, InvitationLog, InvitationOutcome
from sim.model.steps.send import invite
from sim.results import read_run, write_run
from sim.scenario import with_overrides

from ..conftest import SCENARIOS, small_scenario

INDUCED = {"enabled": True, "fanout": 4, "click_through": 0.3, "annoyance": 0.5}


def _runs():
    """Seeded runs with induced sharing on, and some where other channels compete with it
    in the same step (push, the chat entry, several steps a day, scarce merchants)."""
    yield "induced_sharing.toml s7", run(load_scenario(SCENARIOS / "induced_sharing.toml"), 7)
    yield "small s3", run(small_scenario(policy={"commercial_share": 0.2, "induced_sharing": INDUCED}), 3)
    yield "small push s5", run(small_scenario(policy={
        "commercial_share": 0.2, "induced_sharing": INDUCED, "push": {"enabled": True, "reach": 0.5}}), 5)
    yield "small chat 6h s8", run(small_scenario(
        policy={"commercial_share": 0.1, "induced_sharing": INDUCED},
        time={"start": "2024-12-19", "end": "2025-01-10", "step_hours": 6},
        gifts={"send_probability": 0.5, "chat_entry_from": "2024-12-25", "chat_entry_rate": 0.2}), 8)
    yield "small mute s4", run(small_scenario(
        policy={"commercial_share": 0.2, "ad_annoyance": 0.05,
                "induced_sharing": {**INDUCED, "annoyance": 1.5}},
        population={"mute_threshold": 6.0}, merchants={"review_days": 7}), 4)


RUNS = dict(_runs())


@pytest.fixture(scope="module", params=list(RUNS))
def result(request):
    return RUNS[request.param]


def test_every_cascade_edge_is_a_gift_or_an_invitation(result):
    users, gifts, inv = result.users, result.gifts, result.invitations
    child = users[users["parent"] >= 0]
    # only two channels give a parent: an opened gift box and an invitation's visit
    assert set(child["aware_via"].astype(str)) <= {"gift", "invite"}
    roots = users[users["parent"] < 0]
    assert not roots["aware_via"].astype(str).isin(["gift", "invite"]).any()
    # invitation children: exactly one invitation that made them aware, from their parent,
    # seen on their aware step; and no invitation made anyone else aware
    by_inv = child[child["aware_via"] == "invite"]
    made = inv[inv["made_aware"]]
    assert len(by_inv) > 0 and len(made) == len(by_inv)
    m = by_inv.merge(made, left_on=["user", "parent", "aware_step"],
                     right_on=["invitee", "inviter", "step_ended"], validate="one_to_one")
    assert len(m) == len(by_inv)
    assert (m["outcome"] == "visited").all() and (m["step_sent"] < m["aware_step"]).all()
    # gift children: a gift from their parent, sent before their aware step, opened on it
    by_gift = child[child["aware_via"] == "gift"]
    assert len(by_gift) > 0
    g = by_gift.merge(gifts[gifts["seen"]], left_on=["user", "parent"], right_on=["recipient", "sender"])
    g = g[(g["step_sent"] < g["aware_step"]) & (g["aware_step"] <= g["deadline"])]
    assert set(g["user"]) == set(by_gift["user"])


def test_invitations_per_step_are_the_invites_series(result):
    per_step = np.bincount(result.invitations["step_sent"], minlength=len(result.series))
    assert len(result.invitations) > 100
    assert per_step.tolist() == result.series["invites"].tolist()


def test_each_invitation_comes_with_its_inviters_gift_and_ends_once(result):
    inv, gifts = result.invitations, result.gifts
    fanout = result.scenario.policy.induced_sharing.fanout
    # each sender's gift of a step brings up to `fanout` invitations to the same product
    sent = gifts.rename(columns={"sender": "inviter"}).groupby(["inviter", "step_sent"])["merchant"].agg(
        ["first", "size"])
    assert (sent["size"] == 1).all()
    per = inv.groupby(["inviter", "step_sent"]).agg(n=("merchant", "size"), merchant=("merchant", "first"),
                                                     kinds=("merchant", "nunique"))
    joined = per.join(sent, how="left")
    assert joined["first"].notna().all()
    assert (joined["merchant"] == joined["first"]).all() and (joined["kinds"] == 1).all()
    assert (joined["n"] <= fanout).all() and (joined["n"] == fanout).mean() > 0.9
    assert (inv["inviter"] != inv["invitee"]).all()
    # pending exactly when not ended; ended invitations were seen after they were sent,
    # or replaced by a newer one in the step they were replaced
    pending = inv["outcome"] == "pending"
    assert ((inv["step_ended"] == -1) == pending).all()
    seen = ~pending & (inv["outcome"] != "superseded")
    assert (inv.loc[seen, "step_ended"] > inv.loc[seen, "step_sent"]).all()
    sup = inv[inv["outcome"] == "superseded"]
    assert len(sup) > 0
    nxt = inv.groupby("invitee")["invitation_id"].shift(-1)  # the invitee's next invitation
    nxt_step = inv["step_sent"].reindex(nxt[sup.index].astype(np.int64)).to_numpy()
    assert (nxt[sup.index].notna()).all() and (nxt_step == sup["step_ended"].to_numpy()).all()
    # an invitee holds at most one invitation: the pending one is their last
    last = inv.groupby("invitee")["invitation_id"].transform("max")
    assert (inv.loc[pending, "invitation_id"] == last[pending]).all()
    # only a visit can make aware
    assert (inv.loc[inv["made_aware"], "outcome"] == "visited").all()
    assert set(inv["outcome"].astype(str)) >= {"visited", "declined", "superseded"}


def test_every_way_an_invitation_ends_happens():
    # muted invitees and merchants gone: the run where invitations annoy and merchants review weekly
    outcomes = set(RUNS["small mute s4"].invitations["outcome"].astype(str))
    assert outcomes == {o.name.lower() for o in InvitationOutcome}


def test_invitees_are_friends_of_their_inviters():
    sc = small_scenario(policy={"commercial_share": 0.2, "induced_sharing": INDUCED})
    m = GiftModel(sc, seed=3)
    m.run()
    log, g = m.invitations, m.graph
    keys = set(zip(g.row_of_entry.tolist(), g.indices.tolist()))
    pairs = zip(log.column("inviter").tolist(), log.column("invitee").tolist())
    assert len(log) > 100 and all(p in keys for p in pairs)
    # the population's pending invitation is the log's pending one, per invitee
    pend = np.flatnonzero(log.column("outcome") == InvitationOutcome.PENDING)
    holders = np.flatnonzero(m.population.invite_id >= 0)
    assert np.array_equal(np.sort(m.population.invite_id[holders]), pend)
    assert np.array_equal(log.column("invitee")[m.population.invite_id[holders]], holders)


def test_a_friend_invited_twice_keeps_the_last_invitation():
    m = GiftModel(small_scenario(policy={"induced_sharing": INDUCED}), seed=1)
    invite(m.world, 2, np.array([1, 2, 3]), np.array([5, 5, 7]), np.array([0, 1, 2]))
    invite(m.world, 3, np.array([4]), np.array([7]), np.array([3]))
    log = m.invitations
    assert log.column("outcome").tolist() == [InvitationOutcome.SUPERSEDED, InvitationOutcome.PENDING,
                                              InvitationOutcome.SUPERSEDED, InvitationOutcome.PENDING]
    assert log.column("step_ended").tolist() == [2, -1, 3, -1]
    assert m.population.invite_id[[5, 7]].tolist() == [1, 3]


def test_an_invitation_ends_once_and_only_a_visit_makes_aware():
    log = InvitationLog()
    ids = log.append(inviter=np.array([0, 1]), invitee=np.array([2, 3]), merchant=np.array([0, 0]), step=0)
    log.end(ids[:1], InvitationOutcome.DECLINED, 1)
    with pytest.raises(ValueError, match="only once"):
        log.end(ids, InvitationOutcome.VISITED, 2)
    with pytest.raises(ValueError, match="pending"):
        log.end(ids[1:], InvitationOutcome.PENDING, 2)
    with pytest.raises(ValueError, match="visited"):
        log.mark_made_aware(ids[:1])


def test_without_induced_sharing_there_are_no_invitations(wechat):
    r = run(with_overrides(wechat, [("time.end", "2024-12-26")]), 7)
    assert len(r.invitations) == 0 and r.series["invites"].sum() == 0
    assert list(r.invitations.columns) == ["invitation_id", "inviter", "invitee", "merchant", "step_sent",
                                           "outcome", "step_ended", "made_aware"]


def test_invitations_file_round_trips_and_older_folders_read_empty(tmp_path):
    r = RUNS["small s3"]
    folder = write_run(r, tmp_path / "run")
    back = read_run(folder)["invitations"]
    pd.testing.assert_frame_equal(back, r.invitations)
    (folder / "invitations.parquet").unlink()  # a folder written before invitations were
    empty = read_run(folder)["invitations"]
    assert len(empty) == 0
    pd.testing.assert_frame_equal(empty, r.invitations.iloc[:0].reset_index(drop=True))
