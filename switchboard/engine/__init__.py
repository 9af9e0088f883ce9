"""The engine: durable inbox, one turn at a time per conversation, outbox delivery,
approvals carried out once. Contract: every inbound message is stored before anything
else; a turn's replies, inbound status, trace and checkpoint commit together."""
