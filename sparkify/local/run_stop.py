"""SIGINT and SIGTERM during a local run: the run stops where it is, is reported `interrupted`, and ends
with exit code 128 + the signal (130, 143), as a shell reports a process a signal ended.

PySpark's own SIGINT handler calls the JVM from inside the handler, on the connection the interrupted
call is still waiting on ("reentrant call"), so Ctrl-C printed four tracebacks and the run ended
`failed` with exit code 1; SIGTERM ended Python at once, with no report at all. Here a signal is only
recorded, and the SparkContext is stopped from another thread (its own Py4J connection): the running
Spark job fails at once, so does every later JVM call of the step, and the runner ends the run. Every
table write is one Iceberg commit, so what the step had committed stays and the next run carries on
from there. A publish, which commits table after table, is let finish first
(`sparkify.lake.uninterrupted`). A second signal ends the process at once.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from types import FrameType, TracebackType
from typing import Any

from sparkify.lake.uninterrupted import after_hold

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopSignals:
    """Within `with`: SIGINT and SIGTERM are recorded in `received` and stop the attached Spark session."""

    def __init__(self) -> None:
        self.received: signal.Signals | None = None
        self._spark: Any = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> StopSignals:
        self._install()
        logging.getLogger().addFilter(_quiet_py4j)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        if self.received is None:
            # After a stop the JVM is gone for good: calls made after the run (an object's clean-up, the
            # interpreter's exit) would each log a traceback below the run's one line.
            logging.getLogger().removeFilter(_quiet_py4j)

    def attach(self, spark: Any) -> None:
        """The session a signal stops. Again installs the handlers: PySpark's SparkContext sets its own."""
        self._spark = spark
        self._install()
        if self.received is not None:
            self._stop_spark()

    @property
    def exit_code(self) -> int:
        return 128 + int(self.received or 0)

    def _install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # only the main thread may set handlers (a run started from a thread keeps Python's)
        for number in SIGNALS:
            previous = signal.signal(number, self._handle)
            self._previous.setdefault(number, previous)

    def _handle(self, number: int, frame: FrameType | None) -> None:
        if self.received is not None:
            sys.stderr.write(f"stopped at once by a second {signal.Signals(number).name}\n")
            os._exit(128 + number)
        self.received = signal.Signals(number)
        if self._spark is not None and after_hold(self._stop_spark):
            sys.stderr.write(
                f"{self.received.name}: stopping when the publish in progress ends "
                f"(again to stop at once, which may leave some tables published and others not)\n"
            )

    def _stop_spark(self) -> None:
        threading.Thread(target=_stop, args=(self._spark,), name="stop-spark", daemon=True).start()


def _stop(spark: Any) -> None:
    try:
        spark.sparkContext.setLogLevel("OFF")  # the cancelled tasks would each log their error
        spark.sparkContext._jsc.sc().stop()
    except Exception:
        pass  # the JVM is gone already (SIGTERM to the whole process group reaches it too)


def _quiet_py4j(record: logging.LogRecord) -> bool:
    """Py4J logs a traceback on the root logger for every call the JVM did not answer: the runner says
    in one line why the JVM stopped answering."""
    return not str(record.msg).endswith("while sending command.")
