"""Operating a deployed stack from the terminal: trigger and follow workflow runs, read their status and
cost, fetch the Data Docs, upload raw data and run the named Athena queries.

`stack` resolves a stack's physical names, `aws` makes boto3 clients (adaptive retries) and turns AWS
failures into one-line `OpsError`s, and each verb has its own module. The typer commands that wrap
them live in `sparkify/cli/stack.py`, what they print in `sparkify/cli/render.py`; nothing here prints.
"""

from sparkify.ops.aws import OpsError

__all__ = ["OpsError"]
