"""The staff desk: handoffs, staff notifications and actions, in Slack threads and the
web console (live updates, translations of customer messages for staff)."""
