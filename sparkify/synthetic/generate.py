"""Deterministic synthetic Sparkify raw data: song metadata files and eventsim-style app logs.

`generate` writes the two raw prefixes the way the public sample lays them out and encodes them:

- `song_data/<A>/<B>/<C>/TR<ABC>….json`: one Million-Song-Dataset style object per file, `json.dumps`
  default separators, ASCII with `\\u` escapes, no trailing newline;
- `log_data/YYYY/MM/YYYY-MM-DD-events.json`: eventsim JSON lines, compact separators, `/` written as `\\/`,
  keys in eventsim's order, sorted by `ts`, no trailing newline.

It reproduces the traps of the real data at realistic rates: null coordinates, `""` locations, year 0,
artist ids written under two spellings, several songs per artist; `userId` `""` and null user fields on
logged-out and guest events, a float `registration`, epoch-millisecond `ts` that collide across users,
users whose `level` changes within the period (after a `Submit Upgrade`/`Submit Downgrade` event),
cancelled accounts. A share of the NextSong events names a generated song exactly (title, artist name of
that song's file, duration) so the songplays join has something to find; the rest name songs that are
not in the catalog, some by catalog artists or with a catalog title and another duration.

The same arguments always give the same bytes: every draw comes from one `random.Random(seed)`, nothing
reads the clock, and no output depends on set or hash ordering (sets are only used for membership).
Records are rendered from pre-encoded pieces with one `%` format per event, which keeps a million
events within seconds; the tests check every line against `json.dumps` of its parsed value.

The parts live in `sparkify/synthetic/`: `vocabulary` (the rates and words drawn from), `songs` (the
catalog and its files), `sessions` (users and when they listen), `pages` and `events` (the log files).
"""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sparkify.pipeline import SOURCES
from sparkify.synthetic.events import EVENT_KEYS, write_events
from sparkify.synthetic.songs import SONG_KEYS, write_songs
from sparkify.synthetic.songs import catalog as song_catalog

__all__ = ["EVENT_KEYS", "SONG_KEYS", "GenerateSummary", "generate"]


@dataclass(frozen=True)
class GenerateSummary:
    """What `generate` wrote, counted while writing it."""

    out: Path
    song_files: int
    artists: int  # distinct artist ids in song_data
    log_files: int
    events: int
    next_song_events: int
    matched_events: int  # NextSong events naming a generated song (title, artist name, duration)
    users: int  # distinct non-empty userId
    level_changed_users: int  # users seen with both levels


def generate(
    out: Path,
    songs: int = 200,
    events: int = 2000,
    seed: int = 42,
    start: date = date(2018, 11, 1),
    days: int = 30,
    *,
    match_share: float = 0.3,
    force: bool = False,
) -> GenerateSummary:
    """Write `songs` song files and exactly `events` log events under `out`; return what was written.

    `out` must be missing or empty, unless `force`, which deletes `out/song_data` and `out/log_data`
    first (nothing else in `out` is touched). `match_share` is the expected share of NextSong events
    that name a generated song exactly.
    """
    _check(songs, events, days, match_share)
    out = Path(out)
    _prepare(out, force)
    if isinstance(start, datetime):
        start = start.date()
    rng = random.Random(seed)

    catalog = song_catalog(rng, songs)
    song_dir = out / SOURCES["songs"]
    write_songs(song_dir, catalog)
    log_dir = out / SOURCES["events"]
    log_dir.mkdir(parents=True, exist_ok=True)
    stats = write_events(rng, log_dir, catalog, events, start, days, match_share)
    return GenerateSummary(
        out=out,
        song_files=len(catalog),
        artists=len({s.artist_id for s in catalog}),
        log_files=stats.log_files,
        events=stats.events,
        next_song_events=stats.next_song,
        matched_events=stats.matched,
        users=stats.users,
        level_changed_users=stats.level_changed,
    )


def _check(songs: int, events: int, days: int, match_share: float) -> None:
    if songs < 1:
        raise ValueError(f"songs must be at least 1, got {songs}")
    if events < 0:
        raise ValueError(f"events must be 0 or more, got {events}")
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    if not 0.0 <= match_share <= 1.0:
        raise ValueError(f"match_share must be between 0 and 1, got {match_share}")


def _prepare(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"output folder {out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()):
        if not force:
            raise FileExistsError(
                f"output folder {out} is not empty; choose an empty folder or force "
                f"(--force) to replace its {SOURCES['songs']}/ and {SOURCES['events']}/"
            )
        for prefix in SOURCES.values():
            target = out / prefix
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            elif target.exists() or target.is_symlink():
                target.unlink()
    out.mkdir(parents=True, exist_ok=True)
