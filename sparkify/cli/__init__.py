"""The `sparkify` command: its verbs, and how their results are shown. Never shipped to Glue."""
