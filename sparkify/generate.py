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
"""

from __future__ import annotations

import json
import random
import shutil
from bisect import bisect
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sparkify.pipeline import SOURCES

__all__ = ["GenerateSummary", "generate", "SONG_KEYS", "EVENT_KEYS"]

# Key order of the raw records, as the Million Song Dataset subset and eventsim write them.
SONG_KEYS: tuple[str, ...] = (
    "num_songs", "artist_id", "artist_latitude", "artist_longitude", "artist_location",
    "artist_name", "song_id", "title", "duration", "year",
)  # fmt: skip
EVENT_KEYS: tuple[str, ...] = (
    "artist", "auth", "firstName", "gender", "itemInSession", "lastName", "length", "level",
    "location", "method", "page", "registration", "sessionId", "song", "status", "ts", "userAgent",
    "userId",
)  # fmt: skip

DAY_MS = 86_400_000
# song_data/<track_id[2]>/<track_id[3]>/<track_id[4]>/: the real song_data sits under A/ only (the
# sample, and 14,896 songs ≈ 22 per folder of A/A-Z/A-Z), which also keeps folder creation cheap.
TRACK_PREFIX = "TRA"
_EPOCH = date(1970, 1, 1)

# --- Rates, read off the public sample (71 songs, 8,056 events) and the full song_data ---------------
EVENTS_PER_USER = 85  # 8,056 events / 97 users
GUEST_EVENT_SHARE = 1 / 500
P_LOCATION_EMPTY = 0.38  # artist_location "" (then no coordinates either)
P_NO_COORDINATES = 0.56  # artist_latitude/longitude null, including the empty locations
P_YEAR_UNKNOWN = 0.5  # year 0
P_SECOND_SPELLING = 0.06  # share of multi-song artists whose files use two spellings of the name
P_START_PAID = 0.22
P_LEVEL_CHANGE = 0.12  # of free users who upgrade, and of paid users who downgrade, in the period
P_CANCEL = 0.015
P_START_LOGGED_OUT = 0.08  # session opens on the logged-out Home/Login pages
P_NEXT_SONG = 0.86  # among logged-in page views; ~82% of all events once logged-out ones count
ESTIMATED_SECONDS_PER_EVENT = 260  # room given to a session when laying out a user's day

# --- Vocabulary --------------------------------------------------------------------------------------
_FIRST_F = (
    "Kaylee", "Lily", "Jacqueline", "Chloe", "Tegan", "Aleena", "Jayden", "Layla", "Sara", "Ava",
    "Mia", "Emily", "Rylan", "Katherine", "Anabelle", "Kate", "Stefany", "Jordyn", "Ayleen", "Madison",
    "Olivia", "Brooklyn", "Harper", "Zoe", "Naomi", "Lucero", "Sienna", "Paige", "Amiya", "Dominique",
    "Elena", "Genesis", "Hannah", "Isabella", "Josie", "Kinsley", "Leah", "Mckenzie", "Nora", "Renée",
)  # fmt: skip
_FIRST_M = (
    "Walter", "Ryan", "Jacob", "Noah", "Liam", "Mohammad", "Cienna", "Matthew", "Sean", "Kevin",
    "Tucker", "Wyatt", "Theodore", "Colm", "Emilio", "Jayden", "Lucas", "Aiden", "Brayden", "Carter",
    "Dante", "Elijah", "Finn", "Gavin", "Hunter", "Isaac", "Jonah", "Kaleb", "Logan", "Mason",
    "Nolan", "Owen", "Parker", "Quinn", "Rafael", "Samuel", "Tristan", "Uriel", "Vincent", "Zachary",
)  # fmt: skip
_LAST = (
    "Frye", "Summers", "Koch", "Lynch", "Cruz", "Williams", "Smith", "Johnson", "Brown", "Jones",
    "Garcia", "Miller", "Davis", "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson",
    "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White",
    "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King",
    "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker",
    "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Owens", "Montgomery", "Larson",
    "Beck", "Hoffman", "O'Brien", "Schmidt", "Müller", "Duarte", "Ibáñez", "Kowalski", "Novak",
)  # fmt: skip
_METRO_AREAS = (
    "San Francisco-Oakland-Hayward, CA", "Portland-South Portland, ME", "Lansing-East Lansing, MI",
    "Chicago-Naperville-Elgin, IL-IN-WI", "Atlanta-Sandy Springs-Roswell, GA",
    "Waterloo-Cedar Falls, IA", "Lake Havasu City-Kingman, AZ", "San Jose-Sunnyvale-Santa Clara, CA",
    "New York-Newark-Jersey City, NY-NJ-PA", "Los Angeles-Long Beach-Anaheim, CA",
    "Phoenix-Mesa-Scottsdale, AZ", "Dallas-Fort Worth-Arlington, TX", "Seattle-Tacoma-Bellevue, WA",
    "Miami-Fort Lauderdale-West Palm Beach, FL", "Houston-The Woodlands-Sugar Land, TX",
    "Washington-Arlington-Alexandria, DC-VA-MD-WV", "Philadelphia-Camden-Wilmington, PA-NJ-DE-MD",
    "Minneapolis-St. Paul-Bloomington, MN-WI", "Tampa-St. Petersburg-Clearwater, FL",
    "Nashville-Davidson--Murfreesboro--Franklin, TN", "Sacramento--Roseville--Arden-Arcade, CA",
    "St. Louis, MO-IL", "Salt Lake City, UT", "Raleigh, NC", "Richmond, VA", "Eugene, OR",
    "Red Bluff, CA", "Klamath Falls, OR", "Longview, TX", "Winston-Salem, NC", "Columbia, SC",
    "Birmingham-Hoover, AL", "Detroit-Warren-Dearborn, MI", "New Orleans-Metairie, LA",
)  # fmt: skip
_USER_AGENTS = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_4) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/36.0.1985.143 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_4) AppleWebKit/537.78.2 (KHTML, like Gecko) "
    "Version/7.0.6 Safari/537.78.2",
    "Mozilla/5.0 (Windows NT 5.1; rv:31.0) Gecko/20100101 Firefox/31.0",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Ubuntu Chromium/36.0.1985.125 "
    "Chrome/36.0.1985.125 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/37.0.2062.94 "
    "Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.9; rv:31.0) Gecko/20100101 Firefox/31.0",
    "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/36.0.1985.125 "
    "Safari/537.36",
    "Mozilla/5.0 (Windows NT 6.3; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/36.0.1985.143 "
    "Safari/537.36",
    "Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko",
    "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.2; WOW64; Trident/6.0)",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 7_1_2 like Mac OS X) AppleWebKit/537.51.2 (KHTML, like Gecko) "
    "Version/7.0 Mobile/11D257 Safari/9537.53",
    "Mozilla/5.0 (Windows NT 6.1; WOW64; rv:32.0) Gecko/20100101 Firefox/32.0",
)
# Artist home places: some with coordinates, spelled as loosely as the Million Song Dataset does.
_PLACES = (
    ("California - LA", 34.05349, -118.24532), ("California - SF", 37.77916, -122.42005),
    ("Memphis, TN", 35.14968, -90.04892), ("London, England", 51.50632, -0.12714),
    ("Nashville, TN.", 36.16778, -86.77836), ("New York, NY", 40.71455, -74.00712),
    ("Chicago, IL", 41.88415, -87.63241), ("Toronto, Ontario, Canada", 43.64856, -79.38533),
    ("Houston, TX", 29.76045, -95.36978), ("Seattle, Washington USA", 47.60356, -122.32944),
    ("Denmark", 56.27609, 9.51695), ("Zagreb Croatia", 45.80726, 15.9676),
    ("Panama", 8.4177, -80.11278), ("Orlando, FL", 28.53823, -81.37739),
    ("Beverly Hills, CA", 34.07327, -118.39958), ("Kingston, Jamaica", 17.99702, -76.79358),
    ("Stockholm, Sweden", 59.33217, 18.06243), ("Berlin, Germany", 52.51607, 13.37698),
    ("Paris, France", 48.85692, 2.34121), ("Rio de Janeiro, Brazil", -22.97673, -43.19508),
    ("Melbourne, Australia", -37.81753, 144.96715), ("Dubai UAE", 25.2697, 55.3095),
    ("Noci (BA)", 40.79195, 17.12585), ("Reykjavík, Iceland", 64.13548, -21.89541),
    ("Ohio", 40.19033, -82.66919), ("Georgia", 32.67828, -83.22295), ("Utah", 39.49974, -111.54732),
    ("New York, NY [Manhattan]", 40.79086, -73.96644), ("Washington", 38.8991, -77.029),
    ("Detroit, MI", 42.33168, -83.04792), ("Atlanta, GA", 33.74831, -84.39111),
    ("Montréal, Québec, Canada", 45.51228, -73.55439), ("Dublin, Ireland", 53.34376, -6.24953),
    ("Havana, Cuba", 23.13207, -82.36428), ("Lagos, Nigeria", 6.44255, 3.41485),
    ("Tokyo, Japan", 35.68316, 139.80881), ("Glasgow, Scotland", 55.85712, -4.24445),
    ("Minneapolis, MN", 44.97903, -93.26493), ("Austin, TX", 30.26759, -97.74299),
    ("Wisner, LA", 31.98152, -91.65235),
)  # fmt: skip
_WORDS = (
    "Love", "Night", "Heart", "Dream", "Fire", "Rain", "Blue", "Golden", "Midnight", "Summer",
    "Winter", "River", "Road", "Home", "Time", "Light", "Shadow", "Angel", "Devil", "Queen", "King",
    "Baby", "Girl", "Boy", "City", "Street", "Sky", "Star", "Moon", "Sun", "Ocean", "Wild", "Crazy",
    "Sweet", "Broken", "Lonely", "Electric", "Silver", "Velvet", "Paper", "Glass", "Stone", "Ghost",
    "Tonight", "Forever", "Never", "Again", "Away", "Down", "Up", "Inside", "Outside", "Beautiful",
    "Dance", "Run", "Fly", "Fall", "Rise", "Burn", "Shine", "Cry", "Smile", "Kiss", "Talk", "Walk",
    "Dancing", "Running", "Falling", "Waiting", "Holding", "Calling", "Lost", "Found", "Gone", "Free",
    "Last", "First", "Little", "Big", "Old", "New", "Red", "Black", "White", "Green", "Highway",
    "Train", "Letter", "Song", "Blues", "Rhythm", "Soul", "Groove", "Mojo", "Funk", "Thunder",
    "Lightning", "Storm", "Morning", "Evening", "Sunday", "Friday", "December", "July", "Paradise",
    "Heaven", "Hell", "Mountain", "Valley", "Desert", "Island", "Garden", "Window", "Mirror", "Door",
    "You", "Me", "We", "My", "Your", "Our", "The", "In", "On", "Of", "For", "With", "Without", "Over",
    "Amor", "Corazón", "Mañana", "Noche", "Vida", "Café", "Déjà", "Vu", "Straße", "Canción",
    "Señorita", "Été", "Fiesta", "Sueño", "Cielo", "Ñandú",
)  # fmt: skip
_VERSIONS = (
    " (Album Version)", " (LP Version)", " (Live)", " (Remix)", " (Explicit Album Version)",
    " (Instrumental Version)", " (Remastered)", " (Radio Edit)", " (Acoustic)", " (Edit)", " [Live]",
    " (Extended Mix)", " (Skit)", " (2005 Digital Remaster)",
)  # fmt: skip
_BAND_ADJ = (
    "Black", "Electric", "Silver", "Velvet", "Crimson", "Broken", "Flying", "Rolling", "Howling",
    "Smashing", "Arctic", "Neon", "Golden", "Iron", "Wild", "Lonesome", "Radio", "Dead", "Happy",
    "Sonic", "Cosmic", "Atomic", "Mighty", "Lazy", "Burning", "Frozen", "Hidden", "Savage", "Royal",
    "Stone", "Crystal", "Tiny", "Static", "Magnetic", "Vinyl", "Paper", "Tropical", "Northern",
)  # fmt: skip
_BAND_NOUN = (
    "Keys", "Tops", "Stripes", "Monkeys", "Wolves", "Kings", "Lips", "Angels", "Ghosts", "Hearts",
    "Pumpkins", "Shadows", "Horses", "Tigers", "Brothers", "Sisters", "Saints", "Sinners", "Rebels",
    "Machines", "Lovers", "Drifters", "Riders", "Dreamers", "Strangers", "Pilots", "Giants", "Echoes",
    "Foxes", "Bears", "Owls", "Ravens", "Crows", "Lions", "Sharks", "Robots", "Orchestra", "Trio",
    "Quartet", "Collective", "Project", "Experience", "Band", "Soundsystem",
)  # fmt: skip
_ARTICLES = ("Los", "Les", "Die", "Il", "The")
_ID_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ID_ALNUM = _ID_LETTERS + "0123456789"
_HEX = "0123456789ABCDEF"

# --- Pages: (method and page as one pre-encoded piece, status, whose fields the event carries) --------
_LOGGED_IN, _LOGGED_OUT, _CANCELLED, _GUEST = range(4)


def _page(method: str, name: str, status: int) -> tuple[str, int]:
    return f'"{method}","page":{json.dumps(name)}', status


NEXT_SONG = _page("PUT", "NextSong", 200)
HOME = _page("GET", "Home", 200)
LOGIN = _page("PUT", "Login", 307)
LOGOUT = _page("PUT", "Logout", 307)
SETTINGS = _page("GET", "Settings", 200)
SAVE_SETTINGS = _page("PUT", "Save Settings", 307)
HELP = _page("GET", "Help", 200)
ABOUT = _page("GET", "About", 200)
UPGRADE = _page("GET", "Upgrade", 200)
SUBMIT_UPGRADE = _page("PUT", "Submit Upgrade", 307)
DOWNGRADE = _page("GET", "Downgrade", 200)
SUBMIT_DOWNGRADE = _page("PUT", "Submit Downgrade", 307)
ERROR = _page("GET", "Error", 404)
CANCEL = _page("PUT", "Cancel", 307)
CANCELLATION = _page("GET", "Cancellation Confirmation", 200)
REGISTER = _page("GET", "Register", 200)
SUBMIT_REGISTRATION = _page("PUT", "Submit Registration", 307)

# Logged-in pages other than NextSong, weighted as in the sample; None = Upgrade or Downgrade, by level.
_OTHER_PAGES = (HOME, LOGOUT, None, SETTINGS, HELP, ABOUT, SAVE_SETTINGS, ERROR)
_OTHER_CUM = tuple(sum((635, 90, 81, 56, 38, 22, 10, 9)[: i + 1]) / 941 for i in range(8))
_GUEST_PAGES = (HOME, HOME, ABOUT, HELP, REGISTER, REGISTER, ERROR)
# Pages that follow the previous one within a second (a form submit, a redirect).
_QUICK = frozenset(
    (SUBMIT_UPGRADE, SUBMIT_DOWNGRADE, SAVE_SETTINGS, LOGIN, CANCELLATION, SUBMIT_REGISTRATION)
)

_NULL_SONG = ("null", "null", "null", 0)
# One event line: the pieces that travel together are pre-joined (see _pieces and _page).
_LINE = (
    '{"artist":%s,"auth":%s,"itemInSession":%d,"lastName":%s,"length":%s,"level":%s,"method":%s,'
    '"registration":%s,"sessionId":%d,"song":%s,"status":%d,"ts":%d,"userAgent":%s}'
)


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

    catalog = _catalog(rng, songs)
    song_dir = out / SOURCES["songs"]
    _write_songs(song_dir, catalog)
    log_dir = out / SOURCES["events"]
    log_dir.mkdir(parents=True, exist_ok=True)
    stats = _write_events(rng, log_dir, catalog, events, start, days, match_share)
    return GenerateSummary(
        out=out,
        song_files=len(catalog),
        artists=len({s[1] for s in catalog}),
        log_files=stats["log_files"],
        events=stats["events"],
        next_song_events=stats["next_song"],
        matched_events=stats["matched"],
        users=stats["users"],
        level_changed_users=stats["level_changed"],
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


# --- Songs ---------------------------------------------------------------------------------------------
# A catalog entry: (track_id, artist_id, lat, long, location, artist_name, song_id, title, duration, year)
Song = tuple[str, str, float | None, float | None, str, str, str, str, float, int]


def _id(rng: random.Random, prefix: str, head: str, tail: str, used: set[str]) -> str:
    """A Million Song Dataset style id of 18 characters: `prefix`, characters of `head` up to the 7th,
    then `tail` and hex digits, unique within `used`."""
    while True:
        value = (
            prefix
            + "".join(rng.choices(head, k=7 - len(prefix)))
            + tail
            + "".join(rng.choices(_HEX, k=11 - len(tail)))
        )
        if value not in used:
            used.add(value)
            return value


def _title(rng: random.Random) -> str:
    words = rng.choices(_WORDS, k=rng.choice((1, 2, 2, 3, 3, 4)))
    title = " ".join(words)
    r = rng.random()
    if r < 0.12:
        title += rng.choice(_VERSIONS)
    elif r < 0.15:
        title = title.lower().capitalize()
    return title


def _person(rng: random.Random) -> str:
    return f"{rng.choice(_FIRST_F + _FIRST_M)} {rng.choice(_LAST)}"


def _artist_name(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.34:
        return _person(rng)
    if r < 0.54:
        return f"The {rng.choice(_BAND_ADJ)} {rng.choice(_BAND_NOUN)}"
    if r < 0.66:
        return f"{rng.choice(_BAND_ADJ)} {rng.choice(_BAND_NOUN)}"
    if r < 0.74:
        return f"{_person(rng)} & The {rng.choice(_BAND_NOUN)}"
    if r < 0.79:
        return f"{_person(rng)};{_person(rng)}"
    if r < 0.84:
        return f"{_person(rng)} featuring {_person(rng)}"
    if r < 0.89:
        return f"{rng.choice(_ARTICLES)} {rng.choice(_WORDS)} {rng.choice(_BAND_NOUN)}"
    if r < 0.93:
        return f"DJ {rng.choice(_WORDS)}{rng.choice(_WORDS).lower()}"
    return f"{rng.choice(_WORDS)}{rng.choice(_WORDS).lower()}"


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


def _duration(rng: random.Random) -> float:
    return round(min(max(rng.lognormvariate(5.43, 0.38), 15.0), 1800.0), 5)


def _catalog(rng: random.Random, n: int) -> list[Song]:
    used: set[str] = set()
    names: set[str] = set()
    catalog: list[Song] = []
    two_spellings = 0
    while len(catalog) < n:
        r = rng.random()
        count = 1 if r < 0.7 else 2 if r < 0.85 else 3 if r < 0.93 else rng.randint(4, 8)
        count = min(count, n - len(catalog))
        artist_id = _id(rng, "AR", _ID_ALNUM, rng.choice(("1187B9", "1187FB", "12")), used)
        name = _artist_name(rng)
        for _ in range(8):  # different artists rarely share a name; give up on uniqueness after a few tries
            if name not in names:
                break
            name = _artist_name(rng)
        names.add(name)
        spellings = [name]
        if count >= 2 and (two_spellings == 0 or rng.random() < P_SECOND_SPELLING):
            spellings.append(_second_spelling(rng, name))
            two_spellings += 1
        r = rng.random()
        if r < P_LOCATION_EMPTY:
            location, lat, lon = "", None, None
        else:
            location, lat, lon = rng.choice(_PLACES)
            if r < P_NO_COORDINATES:
                lat = lon = None
        for i in range(count):
            track_id = _id(rng, TRACK_PREFIX, _ID_LETTERS, rng.choice(("128F", "12903")), used)
            song_id = _id(rng, "SO", _ID_LETTERS, "12A", used)
            year = 0 if rng.random() < P_YEAR_UNKNOWN else int(rng.triangular(1955, 2010, 2005))
            catalog.append(
                (track_id, artist_id, lat, lon, location, spellings[i % len(spellings)], song_id,
                 _title(rng), _duration(rng), year)
            )  # fmt: skip
    return catalog


def _write_songs(song_dir: Path, catalog: list[Song]) -> None:
    folders: dict[Path, None] = {}
    files = []
    for song in catalog:
        track_id = song[0]
        folder = song_dir / track_id[2] / track_id[3] / track_id[4]
        folders[folder] = None
        record = dict(zip(SONG_KEYS, (1, *song[1:]), strict=True))
        files.append((folder / f"{track_id}.json", json.dumps(record).encode("ascii")))
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    for path, data in files:
        with open(path, "wb") as f:
            f.write(data)


# --- Events --------------------------------------------------------------------------------------------
def _song_pools(
    rng: random.Random, catalog: list[Song], next_songs: int
) -> tuple[list[tuple[str, str, str, int]], list[tuple[str, str, str, int]]]:
    """Pre-encoded (artist, length, song, whole seconds) for catalog songs and for songs outside it."""

    def encode(title: str, artist: str, duration: float) -> tuple[str, str, str, int]:
        return json.dumps(artist), json.dumps(duration), json.dumps(title), int(duration)

    listened = [encode(s[7], s[5], s[8]) for s in catalog]
    rng.shuffle(listened)  # popularity order: low indices are played most
    in_catalog = {(s[7], s[5], s[8]) for s in catalog}
    outside: list[tuple[str, str, str, int]] = []
    size = max(50, min(60_000, next_songs // 3))
    while len(outside) < size:
        r = rng.random()
        if r < 0.03:  # same title and artist, another recording: must not match on duration
            s = rng.choice(catalog)
            title, artist = s[7], s[5]
            duration = round(s[8] + rng.choice((-1, 1)) * rng.uniform(0.5, 20.0), 5)
        elif r < 0.3:  # a catalog artist, a song the catalog lacks
            title, artist, duration = _title(rng), rng.choice(catalog)[5], _duration(rng)
        else:
            title, artist, duration = _title(rng), _artist_name(rng), _duration(rng)
        if (title, artist, duration) not in in_catalog:
            outside.append(encode(title, artist, duration))
    return listened, outside


# The user-dependent pieces of a line, pre-encoded and pre-joined in key order:
# (auth + firstName + gender, lastName, level + location, registration, userAgent + userId).
_Pieces = tuple[str, str, str, str, str]


@dataclass
class _User:
    """A user's pre-encoded line pieces by level, the level now, and the level change planned, if any."""

    logged_in: dict[str, _Pieces]
    cancelled: dict[str, _Pieces]
    level: str
    change: tuple[str, tuple[str, int], tuple[str, int]] | None = None  # (new level, page, submit page)
    seen: bool = False  # has at least one event under its userId



def _pieces(auth: str, level: str, user: tuple[object, ...] | None = None, user_id: str = "") -> _Pieces:
    first, gender, last, location, registration, agent = user or (None,) * 6
    d = json.dumps
    return (
        f'{d(auth)},"firstName":{d(first)},"gender":{d(gender)}',
        d(last),
        f'{d(level)},"location":{d(location)}',
        d(registration),
        f'{d(agent)},"userId":{d(user_id)}',
    )


def _make_user(rng: random.Random, user_id: str, start_s: int, ms: int) -> _User:
    gender = "F" if rng.random() < 0.57 else "M"
    first = rng.choice(_FIRST_F if gender == "F" else _FIRST_M)
    last = rng.choice(_LAST)
    location = rng.choice(_METRO_AREAS)
    agent = rng.choice(_USER_AGENTS)
    registration = float((start_s - rng.randrange(3_600, 120 * 86_400)) * 1000 + ms)
    level = "paid" if rng.random() < P_START_PAID else "free"
    fields = (first, gender, last, location, registration, agent)
    return _User(
        logged_in={lv: _pieces("Logged In", lv, fields, user_id) for lv in ("free", "paid")},
        cancelled={lv: _pieces("Cancelled", lv, fields, user_id) for lv in ("free", "paid")},
        level=level,
    )


def _session_sizes(rng: random.Random, budget: int) -> list[int]:
    sizes = []
    while budget > 0:
        size = min(budget, 1 + int(min(rng.lognormvariate(1.6, 1.0), 250.0)))
        sizes.append(size)
        budget -= size
    return sizes


def _lay_out_day(rng: random.Random, sizes: list[int]) -> list[tuple[int, int]]:
    """(start second, seconds allowed) of each of one user's sessions in one day, in order, inside the day."""
    lengths = [n * ESTIMATED_SECONDS_PER_EVENT for n in sizes]
    idle = [600 + rng.expovariate(1 / 5_400) for _ in sizes[1:]]
    total = sum(lengths) + sum(idle)
    room = 86_399
    scale = min(1.0, room / total) if total else 1.0
    t = rng.random() * (room - total * scale)
    slots = []
    for i, length in enumerate(lengths):
        if i:
            t += idle[i - 1] * scale
        slots.append((int(t), max(0, int(length * scale))))
        t += length * scale
    return slots


# A planned session: day index, start second in the day, seconds it may last, planning order,
# user index (-1 for a guest), number of events, index of the level change (-1: none), ends in a cancel.
_Plan = tuple[int, int, int, int, int, int, int, bool]


def _plan_sessions(
    rng: random.Random, users: list[_User], user_events: int, guest_events: int, days: int
) -> list[_Plan]:
    """Spread exactly `user_events` over the users and `guest_events` over guests, as sessions in time."""
    day_weights = [0.35 + rng.random() for _ in range(days)]
    cum_day = [sum(day_weights[: i + 1]) for i in range(days)]
    weights = [min(rng.paretovariate(1.5), 40.0) for _ in users]  # a few heavy listeners, many light
    total_weight = sum(weights)
    budgets = [int(w / total_weight * user_events) for w in weights]
    for i in range(user_events - sum(budgets)):
        budgets[i % len(users)] += 1

    per_user: list[list[list[int]]] = []
    fallback: tuple[int, int] | None = None
    for u, (user, budget) in enumerate(zip(users, budgets, strict=True)):
        sizes = _session_sizes(rng, budget)
        session_days = sorted(rng.choices(range(days), cum_weights=cum_day, k=len(sizes)))
        sessions = [[d, 0, 0, u, n, -1, 0] for d, n in zip(session_days, sizes, strict=True)]
        i = 0
        while i < len(sessions):  # lay out each day of this user's sessions
            j = i
            while j < len(sessions) and sessions[j][0] == sessions[i][0]:
                j += 1
            for s, (t, length) in zip(sessions[i:j], _lay_out_day(rng, sizes[i:j]), strict=True):
                s[1], s[2] = t, length
            i = j
        # A level change needs a page view, its submit and one event after, in the same session.
        candidates = [k for k, n in enumerate(sizes) if n >= 3]
        middle = [k for k in candidates if len(sizes) // 4 <= k <= (3 * len(sizes)) // 4] or candidates
        if candidates and fallback is None:
            fallback = (u, middle[0])
        if candidates and rng.random() < P_LEVEL_CHANGE:
            _plan_change(rng, user, sessions[rng.choice(middle)])
        if sessions and sessions[-1][4] >= 3 and sessions[-1][5] < 0 and rng.random() < P_CANCEL:
            sessions[-1][6] = 1
        per_user.append(sessions)
    if fallback is not None and not any(user.change for user in users):
        u, k = fallback  # the trap must be there even in tiny data sets
        _plan_change(rng, users[u], per_user[u][k])
        per_user[u][k][6] = 0

    plans: list[_Plan] = []
    for sessions in per_user:
        for d, t, length, u, n, change_at, cancel in sessions:
            plans.append((d, t, length, len(plans), u, n, change_at, bool(cancel)))
    left = guest_events
    while left > 0:
        n = min(left, rng.randint(1, 5))
        d = min(bisect(cum_day, rng.random() * cum_day[-1]), days - 1)
        t, length = _lay_out_day(rng, [n])[0]
        plans.append((d, t, length, len(plans), -1, n, -1, False))
        left -= n
    plans.sort()  # session ids follow start times, as eventsim hands them out
    return plans


def _plan_change(rng: random.Random, user: _User, session: list[int]) -> None:
    session[5] = rng.randrange(0, session[4] - 2)
    if user.level == "free":
        user.change = ("paid", UPGRADE, SUBMIT_UPGRADE)
    else:
        user.change = ("free", DOWNGRADE, SUBMIT_DOWNGRADE)


def _write_events(
    rng: random.Random,
    log_dir: Path,
    catalog: list[Song],
    events: int,
    start: date,
    days: int,
    match_share: float,
) -> dict[str, int]:
    stats = {"log_files": 0, "events": 0, "next_song": 0, "matched": 0, "users": 0, "level_changed": 0}
    if events == 0:
        return stats
    start_day = (start - _EPOCH).days
    ms = rng.randrange(1000)  # eventsim's clock ticks in whole seconds from an odd millisecond
    guest_events = int(events * GUEST_EVENT_SHARE)
    user_events = events - guest_events
    n_users = max(1, round(user_events / EVENTS_PER_USER)) if user_events else 0
    users = [_make_user(rng, str(i + 2), start_day * 86_400, ms) for i in range(n_users)]
    initial_levels = [user.level for user in users]
    plans = _plan_sessions(rng, users, user_events, guest_events, days)
    listened, outside = _song_pools(rng, catalog, int(events * 0.83))

    logged_out = {lv: _pieces("Logged Out", lv) for lv in ("free", "paid")}
    guest = _pieces("Guest", "free")
    rnd, expo = rng.random, rng.expovariate
    n_listened, n_outside, n_guest_pages = len(listened), len(outside), len(_GUEST_PAGES)
    next_song = matched = 0
    p = 0
    while p < len(plans):
        day = plans[p][0]
        day_ms = (start_day + day) * DAY_MS + ms
        lines: list[tuple[int, str]] = []
        while p < len(plans) and plans[p][0] == day:
            _, t0, slot, _, u, n, change_at, cancel = plans[p]
            p += 1
            session_id = p
            # Pass 1: (seconds since the previous event, page, song, user pieces) per event.
            rows: list[tuple[int, tuple[str, int], tuple[str, str, str, int], _Pieces]] = []
            if u < 0:
                page = HOME
                for k in range(n):
                    if k:  # a registration form is submitted right after it is shown, or abandoned
                        page = SUBMIT_REGISTRATION if page is REGISTER and rnd() < 0.5 else _GUEST_PAGES[
                            int(rnd() * n_guest_pages)]  # fmt: skip
                    gap = 0 if k == 0 else 1 if page in _QUICK else int(expo(1 / 40))
                    rows.append((gap, page, _NULL_SONG, guest))
            else:
                user = users[u]
                level = user.level
                who = user.logged_in
                plain = change_at < 0 and not cancel  # sessions with a planned event never log out
                logged_in = not (plain and n >= 3 and rnd() < P_START_LOGGED_OUT)
                seen = user.seen
                playing = -1  # whole seconds of the song the previous event started, -1 when none
                k = 0
                while k < n:
                    if k == change_at:
                        new_level, view, submit = user.change  # type: ignore[misc]
                        gap = int(rnd() * playing) if playing >= 0 else int(expo(1 / 40))
                        rows.append((gap, view, _NULL_SONG, who[level]))
                        rows.append((1, submit, _NULL_SONG, who[level]))
                        level = user.level = new_level
                        playing = -1
                        k += 2
                        continue
                    if cancel and n - k == 2:
                        rows.append((int(expo(1 / 40)), CANCEL, _NULL_SONG, who[level]))
                        rows.append((1, CANCELLATION, _NULL_SONG, user.cancelled[level]))
                        break
                    if not logged_in:
                        r = rnd()
                        if r < 0.5:
                            page, logged_in, gap = LOGIN, True, 1
                        else:
                            page, gap = (HOME if r < 0.9 else ABOUT if r < 0.95 else HELP), int(expo(1 / 60))
                        rows.append((0 if k == 0 else gap, page, _NULL_SONG, logged_out[level]))
                        playing = -1
                    elif rnd() < P_NEXT_SONG:
                        if rnd() < match_share:
                            song = listened[int(rnd() * rnd() * n_listened)]
                            matched += 1
                        else:
                            song = outside[int(rnd() * rnd() * n_outside)]
                        next_song += 1
                        gap = 0 if k == 0 else playing if playing >= 0 else int(expo(1 / 40))
                        rows.append((gap, NEXT_SONG, song, who[level]))
                        playing = song[3]
                        seen = True
                    else:
                        other = _OTHER_PAGES[bisect(_OTHER_CUM, rnd())]
                        if other is None:
                            page = UPGRADE if level == "free" else DOWNGRADE
                        else:
                            page = other
                        if page is LOGOUT:
                            if plain:
                                logged_in = False
                            else:
                                page = HOME
                        if k == 0:
                            gap = 0
                        elif page in _QUICK:
                            gap = 1
                        else:
                            gap = int(rnd() * playing) if playing >= 0 else int(expo(1 / 40))
                        rows.append((gap, page, _NULL_SONG, who[level]))
                        playing = -1
                        seen = True
                    k += 1
                user.seen = seen or change_at >= 0 or cancel
            # Pass 2: timestamps inside the session's slot of the day, then the lines.
            span = sum([r[0] for r in rows])
            scale = slot / span if span > slot else 1.0
            elapsed = 0
            for item, (gap, page, song, pieces) in enumerate(rows):
                elapsed += gap
                ts = day_ms + (t0 + (int(elapsed * scale) if scale < 1.0 else elapsed)) * 1000
                line = _LINE % (
                    song[0], pieces[0], item, pieces[1], song[1], pieces[2], page[0], pieces[3], session_id,
                    song[2], page[1], ts, pieces[4],
                )  # fmt: skip
                lines.append((ts, line))
        lines.sort(key=_first)  # stable: events at the same ms keep session order
        d = date.fromordinal(_EPOCH.toordinal() + start_day + day)
        folder = log_dir / f"{d.year:04d}" / f"{d.month:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        text = "\n".join([line for _, line in lines]).replace("/", "\\/")  # eventsim escapes "/"
        (folder / f"{d.isoformat()}-events.json").write_bytes(text.encode("ascii"))
        stats["log_files"] += 1
        stats["events"] += len(lines)
    stats["next_song"] = next_song
    stats["matched"] = matched
    stats["users"] = sum(1 for user in users if user.seen)
    stats["level_changed"] = sum(user.level != lv for user, lv in zip(users, initial_levels, strict=True))
    return stats


def _first(item: tuple[int, str]) -> int:
    return item[0]
