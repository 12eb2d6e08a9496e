"""Mesa's own tooling works with NegotiationModel."""

import mesa
import numpy as np

from experiments.runner import run
from sim.model import DEFAULT_SCENARIO, NegotiationModel
from sim.scenario import load_scenario


def test_batch_run_reports_each_runs_final_round():
    sc = load_scenario(DEFAULT_SCENARIO)
    b = run(sc, 6, 12)
    # batch_run's `iterations` does not seed runs: pass the root seed and the run indices.
    rows = mesa.batch_run(NegotiationModel, {"scenario": str(DEFAULT_SCENARIO), "seed": 12, "run": range(6)},
                          number_processes=1, display_progress=False)
    final = {r["run"]: r for r in rows if r["AgentID"] == 1}
    names = {0: "ongoing", 1: "agreement", 2: "walkout"}
    for k in range(6):
        assert final[k]["outcome"] == names[int(b.outcome[k])]
        assert final[k]["round"] == b.rounds[k]


def test_datacollector_records_every_round():
    m = NegotiationModel(DEFAULT_SCENARIO, seed=3)
    while m.running:
        m.step()
    df = m.datacollector.get_model_vars_dataframe()
    rounds = m.result()["rounds"]
    assert df["round"].tolist() == list(range(rounds + 1))  # row 0 is the opening state
    assert df["outcome"].iloc[-1] == m.outcome and set(df["outcome"].iloc[:-1]) == {"ongoing"}
    agents = m.datacollector.get_agent_vars_dataframe()
    last = agents.xs(rounds, level="Step")
    assert set(last["actor"]) == {"russia", "us", "nato", "ukraine"}
    assert np.isfinite(last["aspiration"]).all()
