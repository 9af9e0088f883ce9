"""Slack: customers who DM or mention the app, and the staff desk (handoff threads,
notifications, approvals, /switchboard) on one slack-bolt AsyncApp. Translation only:
staff actions are carried out by the desk in `switchboard.desk.slack_desk`."""
