"""The opt-in real-model suite (`make test-llm`): a local llama-server with a small open
model, the shipped scenarios with `--llm`, the agent, and messages the local classifier
is unsure of. Skipped by `make test` unless `SWITCHBOARD_TEST_LLM_URL` names a server."""
