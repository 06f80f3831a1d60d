"""kamopt: decision support for Key Account Management.

Which customers become key accounts, what is done for them, how it is carried
out and who leads them: answered by a mixed-integer programme over the
customer portfolio, within the capacity of managers and departments.

The public names are few; everything else is reachable through the modules
(``kamopt.case.io``, ``kamopt.model.oneyear``, ``kamopt.solve.backend``, ...).
"""

from kamopt.case.io import load_case, save_case
from kamopt.case.scenario import Scenario
from kamopt.case.tables import Case
from kamopt.errors import CaseError, InfeasibleError, KamoptError, ScenarioError
from kamopt.planning.oneyear import Plan, plan

__version__ = "0.1.0"

__all__ = [
    "Case",
    "CaseError",
    "InfeasibleError",
    "KamoptError",
    "Plan",
    "Scenario",
    "ScenarioError",
    "load_case",
    "plan",
    "save_case",
]
