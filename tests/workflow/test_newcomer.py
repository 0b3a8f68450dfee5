"""A day in the life of a newcomer, as the command line reads it: a generated raw folder with one bad song,
a run that fails and says what to do next, the diff that shows the rejected row with its raw file and
line, the fix, the run that publishes, and the questions it then answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sparkify.cli.main import app
from tests.helpers import song, write_song

runner = CliRunner()
BAD = "SOZZZZZZZZZZZZZZZ1"
BAD_FILE = "song_data/Z/Z/Z/TRZZZZZ128F4287B47.json"


def sparkify(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.slow
def test_a_failed_run_its_next_step_the_fix_the_publish_and_a_query(spark, tmp_path: Path) -> None:
    raw, lake = str(tmp_path / "raw"), str(tmp_path / "lake")
    assert sparkify("generate", "--out", raw, "--songs", "20", "--events", "300", "--seed", "8")[0] == 0
    # One song whose duration no song can have: staging keeps it (right types), the songs suite rejects it.
    write_song(Path(raw), "TRZZZZZ128F4287B47", song(song_id=BAD, artist_id="ARZZZZZZZZZZZZZZZ1", duration=-5.0))

    code, out, _ = sparkify("run", "--raw", raw, "--lake", lake)

    assert code == 1
    assert (
        f"Nothing was published: the songs suite failed; see the rejected rows with `sparkify diff --lake {lake} "
        "--table songs`" in out
    )
    code, _, err = sparkify("query", "top_songs", "--lake", lake)
    assert (code, err.startswith(f"error: {lake} has never published ")) == (2, True)

    code, out, _ = sparkify("diff", "--lake", lake, "--table", "songs")

    assert code == 0
    rejected = [line for line in out.splitlines() if line.startswith("rejected songs")]
    assert len(rejected) == 1 and rejected[0].endswith(f"{BAD_FILE} line 1"), out
    assert f"song_id={BAD}" in rejected[0]

    # The fix: the song's real duration, in the raw file the diff named.
    write_song(Path(raw), "TRZZZZZ128F4287B47", song(song_id=BAD, artist_id="ARZZZZZZZZZZZZZZZ1", duration=215.5))
    code, out, _ = sparkify("run", "--raw", raw, "--lake", lake)
    assert code == 0, out
    assert "Nothing was published" not in out

    code, out, _ = sparkify("query", "top_songs", "--lake", lake, "--json")
    assert code == 0 and json.loads(out)["rows"], out
    code, out, _ = sparkify("sql", f"SELECT duration FROM songs WHERE song_id = '{BAD}'", "--lake", lake, "--json")
    assert (code, json.loads(out)["rows"]) == (0, [[215.5]])
    code, out, _ = sparkify("diff", "--lake", lake, "--json")
    assert json.loads(out)["total"] == {"added": 0, "changed": 0, "removed": 0}, "everything is published"
