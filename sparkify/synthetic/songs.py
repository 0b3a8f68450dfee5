"""The song catalog: Million-Song-Dataset style artists and songs, and their `song_data/` files.

An artist often has several songs, now and then credited under two spellings of the name; locations are
often `""` or without coordinates, years often 0. Each song is one file,
`song_data/<A>/<B>/<C>/TR<ABC>….json`: one object, `json.dumps` default separators, ASCII with `\\u`
escapes, no trailing newline.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import NamedTuple

from sparkify.synthetic.vocabulary import (
    ARTICLES,
    BAND_ADJ,
    BAND_NOUN,
    FIRST_F,
    FIRST_M,
    HEX,
    ID_ALNUM,
    ID_LETTERS,
    LAST,
    P_LOCATION_EMPTY,
    P_NO_COORDINATES,
    P_SECOND_SPELLING,
    P_YEAR_UNKNOWN,
    PLACES,
    VERSIONS,
    WORDS,
)

# Key order of a song file, as the Million Song Dataset subset writes it.
SONG_KEYS: tuple[str, ...] = (
    "num_songs", "artist_id", "artist_latitude", "artist_longitude", "artist_location",
    "artist_name", "song_id", "title", "duration", "year",
)  # fmt: skip

# song_data/<track_id[2]>/<track_id[3]>/<track_id[4]>/: the real song_data sits under A/ only (the
# sample, and 14,896 songs ≈ 22 per folder of A/A-Z/A-Z), which also keeps folder creation cheap.
TRACK_PREFIX = "TRA"


class Song(NamedTuple):
    """A catalog entry: the track id that names its file, then the file's fields after `num_songs`."""

    track_id: str
    artist_id: str
    artist_latitude: float | None
    artist_longitude: float | None
    artist_location: str
    artist_name: str
    song_id: str
    title: str
    duration: float
    year: int


assert Song._fields[1:] == SONG_KEYS[1:], "a song file's keys are Song's fields in order"


def _id(rng: random.Random, prefix: str, head: str, tail: str, used: set[str]) -> str:
    """A Million Song Dataset style id of 18 characters: `prefix`, characters of `head` up to the 7th,
    then `tail` and hex digits, unique within `used`."""
    while True:
        value = (
            prefix + "".join(rng.choices(head, k=7 - len(prefix))) + tail + "".join(rng.choices(HEX, k=11 - len(tail)))
        )
        if value not in used:
            used.add(value)
            return value


def draw_title(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.choice((1, 2, 2, 3, 3, 4)))
    title = " ".join(words)
    r = rng.random()
    if r < 0.12:
        title += rng.choice(VERSIONS)
    elif r < 0.15:
        title = title.lower().capitalize()
    return title


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_F + FIRST_M)} {rng.choice(LAST)}"


def draw_artist_name(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.34:
        return _person(rng)
    if r < 0.54:
        return f"The {rng.choice(BAND_ADJ)} {rng.choice(BAND_NOUN)}"
    if r < 0.66:
        return f"{rng.choice(BAND_ADJ)} {rng.choice(BAND_NOUN)}"
    if r < 0.74:
        return f"{_person(rng)} & The {rng.choice(BAND_NOUN)}"
    if r < 0.79:
        return f"{_person(rng)};{_person(rng)}"
    if r < 0.84:
        return f"{_person(rng)} featuring {_person(rng)}"
    if r < 0.89:
        return f"{rng.choice(ARTICLES)} {rng.choice(WORDS)} {rng.choice(BAND_NOUN)}"
    if r < 0.93:
        return f"DJ {rng.choice(WORDS)}{rng.choice(WORDS).lower()}"
    return f"{rng.choice(WORDS)}{rng.choice(WORDS).lower()}"


def _second_spelling(rng: random.Random, name: str) -> str:
    """Another way the same artist is credited, as the Million Song Dataset does across files."""
    if name.startswith("The "):
        return name[4:]
    if " & " in name:
        return name.replace(" & ", " and ")
    if ";" in name:
        return name.replace(";", " & ")
    if " featuring " in name:
        return name.split(" featuring ")[0]
    return f"{name} featuring {_person(rng)}"


def draw_duration(rng: random.Random) -> float:
    return round(min(max(rng.lognormvariate(5.43, 0.38), 15.0), 1800.0), 5)


def catalog(rng: random.Random, n: int) -> list[Song]:
    """`n` songs by artists with one to eight songs each."""
    used: set[str] = set()
    names: set[str] = set()
    songs: list[Song] = []
    two_spellings = 0
    while len(songs) < n:
        r = rng.random()
        count = 1 if r < 0.7 else 2 if r < 0.85 else 3 if r < 0.93 else rng.randint(4, 8)
        count = min(count, n - len(songs))
        artist_id = _id(rng, "AR", ID_ALNUM, rng.choice(("1187B9", "1187FB", "12")), used)
        name = draw_artist_name(rng)
        for _ in range(8):  # different artists rarely share a name; give up on uniqueness after a few tries
            if name not in names:
                break
            name = draw_artist_name(rng)
        names.add(name)
        spellings = [name]
        if count >= 2 and (two_spellings == 0 or rng.random() < P_SECOND_SPELLING):
            spellings.append(_second_spelling(rng, name))
            two_spellings += 1
        r = rng.random()
        if r < P_LOCATION_EMPTY:
            location, lat, lon = "", None, None
        else:
            location, lat, lon = rng.choice(PLACES)
            if r < P_NO_COORDINATES:
                lat = lon = None
        for i in range(count):
            track_id = _id(rng, TRACK_PREFIX, ID_LETTERS, rng.choice(("128F", "12903")), used)
            song_id = _id(rng, "SO", ID_LETTERS, "12A", used)
            year = 0 if rng.random() < P_YEAR_UNKNOWN else int(rng.triangular(1955, 2010, 2005))
            songs.append(
                Song(
                    track_id=track_id,
                    artist_id=artist_id,
                    artist_latitude=lat,
                    artist_longitude=lon,
                    artist_location=location,
                    artist_name=spellings[i % len(spellings)],
                    song_id=song_id,
                    title=draw_title(rng),
                    duration=draw_duration(rng),
                    year=year,
                )
            )
    return songs


def write_songs(song_dir: Path, songs: list[Song]) -> None:
    """One file per song under `song_dir` (the raw location's `song_data/`)."""
    folders: dict[Path, None] = {}
    files = []
    for song in songs:
        track_id = song.track_id
        folder = song_dir / track_id[2] / track_id[3] / track_id[4]
        folders[folder] = None
        record = dict(zip(SONG_KEYS, (1, *song[1:]), strict=True))
        files.append((folder / f"{track_id}.json", json.dumps(record).encode("ascii")))
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    for path, data in files:
        with open(path, "wb") as f:
            f.write(data)
