"""The knowledge base's front half: read a site owner's files (Markdown, HTML, text,
PDF), split them into passages, embed them, store them (`storage.kb_import`), and
measure retrieval. Search itself lives in `storage.kb` and `tools.kb`."""
