"""Only a laptop run: the runner, the local SparkSession, the JVM's class archive and JIT choice, a run's
report and how it stops. Never shipped to Glue."""
