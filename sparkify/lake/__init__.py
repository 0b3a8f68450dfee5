"""What a job does to storage: raw files, Iceberg tables, the ledger, the quarantine catalog, the
lake's own state, the shared Spark settings and how a job starts on Glue. Runs on Glue and locally."""
