"""Default figures the behaviour rules move, for a few seeds of a scenario.

    python benchmarks/behaviour_figures.py [scenario.toml] [seed ...]

One line per seed: gifts sent, adoption (share of users who sent a gift), R
(``reproduction_number``), gifts sent back (reciprocity) and paid forward, the share of
acceptors who sent a gift on or after the step of their first accepted gift, and the share
of users who never received a gift who sent one (the whole-run comparison of issue 14).
"""

from __future__ import annotations

import sys

import numpy as np

from sim import load_scenario, run


def figures(result) -> dict[str, float]:
    """The behaviour figures of one :class:`~sim.results.RunResult`."""
    g, n = result.gifts, int(result.summary["users"])
    src = g["source"].astype(str)
    acc = g[g["outcome"].astype(str) == "accepted"]
    first_acc = acc.groupby("recipient")["step_settled"].min()
    first_send = g.groupby("sender")["step_sent"].min()
    sent_after = g.merge(first_acc.rename("acc_step"), left_on="sender", right_index=True)
    acceptors_sending = sent_after[sent_after["step_sent"] >= sent_after["acc_step"]]["sender"].nunique()
    receivers = set(g["recipient"].unique())
    non_recv_senders = len(set(first_send.index) - receivers)
    return {
        "gifts": float(len(g)), "adoption": float(result.summary["adoption_share"]),
        "R": float(result.summary["reproduction_number"]),
        "reciprocity": float((src == "reciprocity").sum()), "pay_forward": float((src == "pay_forward").sum()),
        "acceptors_send": acceptors_sending / max(first_acc.size, 1),
        "non_receivers_send": non_recv_senders / max(n - len(receivers), 1),
    }


def main(argv: list[str]) -> None:
    path = argv[0] if argv else "scenarios/wechat_gift_launch.toml"
    seeds = [int(s) for s in argv[1:]] or [1, 2, 3]
    sc = load_scenario(path)
    rows = []
    for seed in seeds:
        r = run(sc, seed)
        f = figures(r)
        rows.append(f)
        print(f"seed {seed}: " + "  ".join(f"{k} {v:.4g}" for k, v in f.items()))
    print("mean:   " + "  ".join(f"{k} {np.mean([r[k] for r in rows]):.4g}" for k in rows[0]))


if __name__ == "__main__":
    main(sys.argv[1:])
