"""`sparkify bench`: our local workflow against a DuckDB reference of the same transform.

`sparkify bench` (`cli.py`) drives `harness.run_benchmark`, which runs `worker` in fresh processes: our
workflow through `sparkify.local.runner.run_pipeline`, `reference.run_reference` in DuckDB SQL, and
Spark's floor (`floor.py`, the same transform as plainly as Spark allows). `--incremental`
(`incremental.py`) measures a daily run on a lake with history.
"""
