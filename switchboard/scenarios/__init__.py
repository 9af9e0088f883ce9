"""Conversation scenarios as tests (`switchboard eval`).

Contract: `load_scenarios(paths)` reads YAML scenario files (format in `schema.py`; any
unknown key or bad value is a `ScenarioFormatError` naming file, scenario and key);
`run_scenarios(loaded, settings)` runs each one in a fresh database with the demo company,
through the real app, engine and channel path, offline unless `llm=True`, and returns a
`RunReport` that `report.py` renders as text, JSON or JUnit XML.
"""

from switchboard.scenarios.loader import LoadedScenario, ScenarioFormatError, load_scenarios
from switchboard.scenarios.runner import RunReport, ScenarioReport, TurnReport, run_scenarios
from switchboard.scenarios.sandbox import SandboxError

__all__ = [
    "LoadedScenario",
    "RunReport",
    "SandboxError",
    "ScenarioFormatError",
    "ScenarioReport",
    "TurnReport",
    "load_scenarios",
    "run_scenarios",
]
