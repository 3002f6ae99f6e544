"""``giftsim validate`` prints the evidence table (published figures against the model) beside
the theory checks, writes it to --markdown and its plot, and refuses bad evidence options."""

from __future__ import annotations

from sim import run
from sim.cli import main
from sim.evidence.table import SCENARIOS_DIR


def test_validate_prints_the_evidence_table(tmp_path, capsys):
    md = tmp_path / "validation.md"
    code = main(["validate", "--only", "structural_virality", "--plots", str(tmp_path / "img"), "--evidence",
                 "group_send_back_per_rmb", "--replicates", "1", "--markdown", str(md)])
    assert code == 0
    out = capsys.readouterr().out
    assert "structural_virality" in out and "Evidence: published figures against the model" in out
    assert "group_send_back_per_rmb" in out and "red_envelope_2014.toml" in out
    value = run(SCENARIOS_DIR / "red_envelope_2014.toml", seed=0).summary["group_send_back_per_rmb"]
    row = f"| `group_send_back_per_rmb` | red_envelope_2014.toml | {value:.4g} | {value:.4g} - {value:.4g} | " \
          "0.12 - 0.24 | yes |"
    assert row in md.read_text(encoding="utf-8")
    assert (tmp_path / "img" / "evidence.png").read_bytes().startswith(b"\x89PNG")
    # --only alone runs only the named checks
    assert main(["validate", "--only", "structural_virality", "--no-plots"]) == 0
    assert "Evidence" not in capsys.readouterr().out


def test_validate_refuses_an_unknown_figure_and_a_zero_replicate_count(capsys):
    assert main(["validate", "--only", "structural_virality", "--no-plots", "--evidence", "nope"]) == 2
    err = capsys.readouterr().err
    assert "unknown evidence figure 'nope'; allowed: receive_give_lift" in err
    assert main(["validate", "--no-plots", "--replicates", "0"]) == 2
    assert "--replicates must be >= 1, got 0" in capsys.readouterr().err
