"""Reports over stored conversations: containment, handoffs, CSAT, per day and per
policy version, and the export of conversations (portable SQL for both databases)."""
