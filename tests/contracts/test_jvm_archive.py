"""The local driver's class-data-sharing archive is used only for the Java and class path it was built for."""

from __future__ import annotations

from pathlib import Path

import pytest

from sparkify.local import jvm_archive


@pytest.fixture()
def archives(tmp_path, monkeypatch) -> Path:
    monkeypatch.setattr(jvm_archive, "ARCHIVE_DIR", tmp_path)
    monkeypatch.delenv("SPARKIFY_JVM_ARCHIVE_OUT", raising=False)
    monkeypatch.delenv("SPARKIFY_JVM_ARCHIVE", raising=False)
    return tmp_path


def test_no_archive_means_no_option(archives, tmp_path):
    assert jvm_archive.java_options(tmp_path / "iceberg.jar") == ""


def test_an_archive_built_for_this_class_path_is_mapped_quietly(archives, tmp_path):
    jar = tmp_path / "iceberg.jar"
    path = jvm_archive.archive_path(jar)
    assert path is not None and path.parent == archives and path.name.startswith("spark-")
    path.write_bytes(b"archive")
    assert jvm_archive.java_options(jar) == f"-XX:SharedArchiveFile={path} -Xlog:cds=off -Xlog:cds+dynamic=off"


def test_another_iceberg_jar_or_java_is_another_archive(archives, tmp_path, monkeypatch):
    here = jvm_archive.archive_path(tmp_path / "a" / "iceberg.jar")
    moved = jvm_archive.archive_path(tmp_path / "b" / "iceberg.jar")
    assert here != moved
    java = tmp_path / "jdk" / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text("")
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "jdk"))
    assert jvm_archive.archive_path(tmp_path / "a" / "iceberg.jar") not in (here, None)


def test_without_java_there_is_no_archive(archives, tmp_path, monkeypatch):
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "nowhere"))
    assert jvm_archive.archive_path(tmp_path / "iceberg.jar") is None
    assert jvm_archive.java_options(tmp_path / "iceberg.jar") == ""


def test_training_writes_the_archive_at_exit(archives, tmp_path, monkeypatch):
    monkeypatch.setenv("SPARKIFY_JVM_ARCHIVE_OUT", str(tmp_path / "new.jsa"))
    assert jvm_archive.java_options(tmp_path / "iceberg.jar").startswith(
        f"-XX:ArchiveClassesAtExit={tmp_path / 'new.jsa'} "
    )


def test_the_archive_can_be_switched_off(archives, tmp_path, monkeypatch):
    jar = tmp_path / "iceberg.jar"
    path = jvm_archive.archive_path(jar)
    assert path is not None
    path.write_bytes(b"archive")
    monkeypatch.setenv("SPARKIFY_JVM_ARCHIVE", "off")
    assert jvm_archive.java_options(jar) == ""


def test_setup_says_what_it_builds_and_how_long_before_it_starts(archives, tmp_path, monkeypatch, capsys):
    from sparkify.local import jvm_archive_build

    built = tmp_path / "spark-abc.jsa"

    def build(jar: Path) -> Path:
        # What a person has seen by the time the minutes of training start.
        assert capsys.readouterr().out.startswith("Building the JVM class archive (.jvm/)")
        built.write_bytes(b"\0" * 2**20)
        return built

    monkeypatch.setattr(jvm_archive_build, "archive_path", lambda jar: tmp_path / "missing.jsa")
    monkeypatch.setattr(jvm_archive_build, "build", build)
    jvm_archive_build.main(["--if-missing"])
    done = capsys.readouterr().out
    assert done.startswith(f"JVM class archive: {built} (1 MiB) in ")
    assert done.endswith(" s\n")


def test_setup_is_silent_when_the_archive_is_there(archives, tmp_path, monkeypatch, capsys):
    from sparkify.local import jvm_archive_build

    there = tmp_path / "spark-abc.jsa"
    there.write_bytes(b"")
    monkeypatch.setattr(jvm_archive_build, "archive_path", lambda jar: there)
    jvm_archive_build.main(["--if-missing"])
    assert capsys.readouterr().out == ""
