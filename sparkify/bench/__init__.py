"""The benchmark of issue 5: our local workflow against a DuckDB reference of the same transform.

`sparkify bench` (cli.py) drives `harness.run_benchmark`, which runs `worker` in fresh processes:
our workflow through `sparkify.local.runner.run_pipeline`, and `reference.run_reference` in DuckDB SQL.
"""
