"""``python -m sim.report.docs`` remakes the three generated documents in order."""

from __future__ import annotations

from sim.report import docs


def test_docs_runs_the_three_generators_in_order_and_stops_at_a_failure(monkeypatch):
    calls = []
    monkeypatch.setattr("sim.scenario.reference.update_document", lambda p: calls.append(("model", str(p))) or False)
    monkeypatch.setattr("sim.evidence.report.main", lambda a: calls.append(("evidence", a)) or 0)
    monkeypatch.setattr("sim.report.scenarios_doc.main", lambda a: calls.append(("scenarios", a)) or 0)
    assert docs.main(["--workers", "2", "--set-aside"]) == 0
    assert calls == [("model", "docs/model.md"), ("evidence", ["docs/evidence.md"]),
                     ("scenarios", ["docs/scenarios.md", "--workers", "2", "--set-aside"])]
    calls.clear()
    monkeypatch.setattr("sim.evidence.report.main", lambda a: calls.append(("evidence", a)) or 2)
    assert docs.main([]) == 2
    assert [c[0] for c in calls] == ["model", "evidence"]  # the answers are not remade after a failure
