"""A Ctrl-C or SIGTERM during a publish waits for the publish to end: readers never see a fact table
published without its dimensions. Outside a publish it stops the run at once."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time

from sparkify.lake.uninterrupted import after_hold, uninterrupted
from sparkify.local.run_stop import StopSignals


class _Session:
    """Stands in for the SparkSession `StopSignals` stops: records the stop (the real one needs a JVM,
    which the test in tests/workflow/test_publish_interrupted.py starts)."""

    def __init__(self) -> None:
        self.stopped = threading.Event()
        self.sparkContext = self
        self._jsc = self

    def setLogLevel(self, level: str) -> None:
        pass

    def sc(self) -> _Session:
        return self

    def stop(self) -> None:
        self.stopped.set()


def _deliver(number: signal.Signals) -> None:
    os.kill(os.getpid(), number)
    time.sleep(0.05)  # Python runs the handler between two bytecodes of the main thread


def test_a_signal_outside_a_publish_stops_the_session_at_once() -> None:
    session = _Session()
    with StopSignals() as stop:
        stop.attach(session)
        _deliver(signal.SIGINT)
        assert session.stopped.wait(5)
    assert stop.received == signal.SIGINT and stop.exit_code == 130


def test_a_signal_during_a_publish_stops_the_session_when_the_publish_ends() -> None:
    session = _Session()
    with StopSignals() as stop:
        stop.attach(session)
        with uninterrupted():
            _deliver(signal.SIGTERM)
            assert stop.received == signal.SIGTERM
            assert not session.stopped.wait(0.3), "the session stopped in the middle of a publish"
            with uninterrupted():  # a hold inside a hold: only the outer one's end releases the stop
                pass
            assert not session.stopped.is_set()
        assert session.stopped.wait(5)
    assert stop.exit_code == 143


def test_a_hold_ended_by_an_error_still_releases_the_stop() -> None:
    stops: list[str] = []
    try:
        with uninterrupted():
            assert after_hold(lambda: stops.append("stopped")) is True
            raise RuntimeError("a commit failed")
    except RuntimeError:
        pass
    assert stops == ["stopped"]
    assert after_hold(lambda: stops.append("again")) is False and stops == ["stopped", "again"]


def test_after_a_stop_py4j_says_nothing_about_the_jvm_it_lost(caplog) -> None:
    """Once a signal stopped the session, Py4J logs a traceback for each later call to the stopped JVM
    (an object's clean-up, the interpreter's exit), after the run has already said in one line why."""
    session = _Session()
    with StopSignals() as stop:
        stop.attach(session)
        _deliver(signal.SIGTERM)
        assert session.stopped.wait(5)
    logging.getLogger().error("Exception while sending command.")
    assert caplog.records == []


def test_without_a_stop_py4j_logs_as_it_always_did(caplog) -> None:
    with StopSignals():
        pass
    logging.getLogger().error("Exception while sending command.")
    assert [r.getMessage() for r in caplog.records] == ["Exception while sending command."]
