"""What workflows and the agent may call: payments, orders, tickets, knowledge base, notify.

Contract: every tool acts for the verified customer given by the engine, never for an id
the model supplies. Tools import `storage`, never `graph`, `bots` or `switchboard`.
"""
