"""Writing tiny raw inputs for tests, byte for byte in the real formats."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sparkify.local.runner import lake_table

# The public Sparkify sample beside the repo (../shared); tests that need it skip when it is absent.
SHARED_SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "sparkify-sample"


def event(**fields: Any) -> dict[str, Any]:
    """A logged-in NextSong event in eventsim's shape; keyword arguments override fields."""
    base: dict[str, Any] = {
        "artist": "Des'ree",
        "auth": "Logged In",
        "firstName": "Kaylee",
        "gender": "F",
        "itemInSession": 1,
        "lastName": "Summers",
        "length": 246.30812,
        "level": "free",
        "location": "Phoenix-Mesa-Scottsdale, AZ",
        "method": "PUT",
        "page": "NextSong",
        "registration": 1540344794796.0,
        "sessionId": 139,
        "song": "You Gotta Be",
        "status": 200,
        "ts": 1541106106796,
        "userAgent": "Mozilla/5.0",
        "userId": "8",
    }
    base.update(fields)
    return base


def song(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "num_songs": 1,
        "artist_id": "ARD7TVE1187B99BFB1",
        "artist_latitude": None,
        "artist_longitude": None,
        "artist_location": "California - LA",
        "artist_name": "Casual",
        "song_id": "SOMZWCG12A8C13C480",
        "title": "I Didn't Mean To",
        "duration": 218.93179,
        "year": 0,
    }
    base.update(fields)
    return base


def write_log(raw: Path, day: str, lines: list[dict[str, Any] | str]) -> Path:
    """Write JSON lines (dicts are dumped, strings written as they are) to log_data/YYYY/MM/DAY-events.json."""
    path = raw / "log_data" / day[:4] / day[5:7] / f"{day}-events.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    return path


def write_song(raw: Path, track_id: str, record: dict[str, Any] | str) -> Path:
    path = raw / "song_data" / track_id[2] / track_id[3] / track_id[4] / f"{track_id}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(record if isinstance(record, str) else json.dumps(record))
    return path


def assert_same_tables(spark, lake_a: Path, lake_b: Path) -> None:
    """Every curated table of two lakes holds the same rows (order aside)."""
    from chispa import assert_df_equality

    from sparkify.pipeline import CURATED_TABLES

    for table in CURATED_TABLES:
        a = lake_table(spark, lake_a, table.name)
        b = lake_table(spark, lake_b, table.name).select(*a.columns)
        assert a.count() == b.count(), f"{table.name}: {a.count()} rows vs {b.count()}"
        assert_df_equality(a, b, ignore_row_order=True, ignore_nullable=True)


def copy_raw(source: Path, target: Path, only: Callable[[Path], bool] = lambda p: True) -> Path:
    """Copy the raw files under `source` that `only` accepts (relative path) to `target`."""
    for path in sorted(source.rglob("*.json")):
        relative = path.relative_to(source)
        if only(relative):
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target / relative)
    return target
