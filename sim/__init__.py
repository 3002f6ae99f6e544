"""giftsim: an agent-based simulator of social gift virality.

Users on a social graph send and accept gifts bought from merchants; merchants react to
demand; the platform's traffic-allocation policy splits commercial impressions among
them. One entry point runs a scenario::

    from sim import load_scenario, run
    result = run(load_scenario("scenarios/wechat_gift_launch.toml"), seed=7)
    result.summary["gmv_rmb"], result.series.head()
"""

from .model import GiftModel
from .runner import RunResult, run
from .scenario import Scenario, ScenarioError, load_scenario

__version__ = "0.1.0"

__all__ = ["run", "RunResult", "GiftModel", "Scenario", "ScenarioError", "load_scenario", "__version__"]
