"""`switchboard policy replay`: what a policy change would do to stored conversations.

Stored turns run again through the new policy with the real turn machinery, in a
sandbox nothing leaves (replay/sandbox.py, replay/connectors.py), and each turn is
compared with what happened (replay/compare.py); replay/report.py writes the result.
"""

from switchboard.replay.run import ReplayedTurn, ReplayReport, replay
from switchboard.replay.source import Selection

__all__ = ["ReplayReport", "ReplayedTurn", "Selection", "replay"]
