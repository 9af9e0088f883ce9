"""The reference: the agent-only LangGraph app a team would write from the tutorials.

Every message goes to the model with the whole conversation (`create_react_agent`,
`MessagesState`), tools read the same demo data as Switchboard's, and durability is the
checkpointer's default (`AsyncSqliteSaver` / `AsyncPostgresSaver`, a checkpoint per
step). It serves the same web chat contract (`POST /api/webchat/sessions`,
`POST /api/webchat/messages`) so one load generator drives both. It is a benchmark
baseline, not part of the product: nothing outside `bench/` imports it.
"""
