"""The app's event log: `log_data/YYYY/MM/YYYY-MM-DD-events.json`, one file per day.

Each planned session (`sessions.plan_sessions`) is played in two passes: first its events as rows (the
page, the song, the user's pieces and the seconds since the previous event), drawing from the one
random generator in a fixed order; then their timestamps, fitted into the session's slot of the day,
and their lines. Lines are eventsim's JSON: compact separators, `/` written as `\\/`, keys in eventsim's
order, sorted by `ts`, no trailing newline. A line is rendered from pre-encoded pieces with one `%`
format, which keeps a million events within seconds.
"""

from __future__ import annotations

import json
import random
from bisect import bisect
from dataclasses import dataclass
from datetime import date
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple

from sparkify.synthetic.pages import (
    ABOUT,
    CANCEL,
    CANCELLATION,
    DOWNGRADE,
    GUEST_PAGES,
    HELP,
    HOME,
    LOGIN,
    LOGOUT,
    NEXT_SONG,
    OTHER_CUM,
    OTHER_PAGES,
    QUICK,
    REGISTER,
    SUBMIT_REGISTRATION,
    UPGRADE,
    Page,
)
from sparkify.synthetic.sessions import LEVELS, Session, User, UserPieces, make_user, pieces, plan_sessions
from sparkify.synthetic.songs import Song, draw_artist_name, draw_duration, draw_title
from sparkify.synthetic.vocabulary import EVENTS_PER_USER, GUEST_EVENT_SHARE, P_NEXT_SONG, P_START_LOGGED_OUT

# Key order of an event, as eventsim writes it.
EVENT_KEYS: tuple[str, ...] = (
    "artist", "auth", "firstName", "gender", "itemInSession", "lastName", "length", "level",
    "location", "method", "page", "registration", "sessionId", "song", "status", "ts", "userAgent",
    "userId",
)  # fmt: skip

DAY_MS = 86_400_000
_EPOCH = date(1970, 1, 1)

# One event line: the pieces that travel together are pre-joined (see `UserPieces` and `Page`).
_LINE = (
    '{"artist":%s,"auth":%s,"itemInSession":%d,"lastName":%s,"length":%s,"level":%s,"method":%s,'
    '"registration":%s,"sessionId":%d,"song":%s,"status":%d,"ts":%d,"userAgent":%s}'
)

LOGGED_OUT = {lv: pieces("Logged Out", lv) for lv in LEVELS}
GUEST = pieces("Guest", "free")


class PlayedSong(NamedTuple):
    """A song as an event names it: artist, length and title pre-encoded, and its whole seconds (when a
    NextSong follows it)."""

    artist: str
    length: str
    title: str
    seconds: int


NO_SONG = PlayedSong("null", "null", "null", 0)


# One event of a session before it has a time: (seconds since the session's previous event, page, song,
# user). A plain tuple, unpacked by name: one is made per event, and a NamedTuple's constructor, ten times
# slower than a tuple's, would add some 7% to the generator's time.
Row = tuple[int, Page, PlayedSong, UserPieces]


@dataclass
class EventStats:
    """What `write_events` wrote, counted while writing it."""

    log_files: int = 0
    events: int = 0
    next_song: int = 0
    matched: int = 0  # NextSong events naming a catalog song (title, artist name, duration)
    users: int = 0  # users with at least one event under their userId
    level_changed: int = 0  # users whose level at the end differs from their level at the start


def write_events(
    rng: random.Random,
    log_dir: Path,
    catalog: list[Song],
    events: int,
    start: date,
    days: int,
    match_share: float,
) -> EventStats:
    """Exactly `events` events from `start` over `days` days, one file per day with events."""
    stats = EventStats()
    if events == 0:
        return stats
    start_day = (start - _EPOCH).days
    ms = rng.randrange(1000)  # eventsim's clock ticks in whole seconds from an odd millisecond
    guest_events = int(events * GUEST_EVENT_SHARE)
    user_events = events - guest_events
    n_users = max(1, round(user_events / EVENTS_PER_USER)) if user_events else 0
    users = [make_user(rng, str(i + 2), start_day * 86_400, ms) for i in range(n_users)]
    initial_levels = [user.level for user in users]
    plans = plan_sessions(rng, users, user_events, guest_events, days)
    player = _Player(rng, users, *_song_pools(rng, catalog, int(events * 0.83)), match_share)

    for day, day_sessions in groupby(enumerate(plans, start=1), key=_day):
        day_ms = (start_day + day) * DAY_MS + ms
        lines: list[tuple[int, str]] = []
        for session_id, plan in day_sessions:
            rows = player.guest(plan.events) if plan.user < 0 else player.user(plan)
            lines += _lines(rows, day_ms + plan.start * 1000, plan.slot, session_id)
        lines.sort(key=itemgetter(0))  # stable: events at the same ms keep session order
        _write_day(log_dir, date.fromordinal(_EPOCH.toordinal() + start_day + day), lines)
        stats.log_files += 1
        stats.events += len(lines)
    stats.next_song = player.next_song
    stats.matched = player.matched
    stats.users = sum(1 for user in users if user.seen)
    stats.level_changed = sum(user.level != lv for user, lv in zip(users, initial_levels, strict=True))
    return stats


def _day(item: tuple[int, Session]) -> int:
    return item[1].day


def _song_pools(rng: random.Random, catalog: list[Song], next_songs: int) -> tuple[list[PlayedSong], list[PlayedSong]]:
    """The songs NextSong events name: the catalog's, in order of popularity, and songs outside it."""

    def encode(title: str, artist: str, duration: float) -> PlayedSong:
        return PlayedSong(json.dumps(artist), json.dumps(duration), json.dumps(title), int(duration))

    listened = [encode(s.title, s.artist_name, s.duration) for s in catalog]
    rng.shuffle(listened)  # popularity order: low indices are played most
    in_catalog = {(s.title, s.artist_name, s.duration) for s in catalog}
    outside: list[PlayedSong] = []
    size = max(50, min(60_000, next_songs // 3))
    while len(outside) < size:
        r = rng.random()
        if r < 0.03:  # same title and artist, another recording: must not match on duration
            s = rng.choice(catalog)
            title, artist = s.title, s.artist_name
            duration = round(s.duration + rng.choice((-1, 1)) * rng.uniform(0.5, 20.0), 5)
        elif r < 0.3:  # a catalog artist, a song the catalog lacks
            title, artist, duration = draw_title(rng), rng.choice(catalog).artist_name, draw_duration(rng)
        else:
            title, artist, duration = draw_title(rng), draw_artist_name(rng), draw_duration(rng)
        if (title, artist, duration) not in in_catalog:
            outside.append(encode(title, artist, duration))
    return listened, outside


class _Player:
    """Plays planned sessions into rows (pass 1), counting the NextSong events and those that match."""

    def __init__(
        self,
        rng: random.Random,
        users: list[User],
        listened: list[PlayedSong],
        outside: list[PlayedSong],
        match_share: float,
    ):
        self.rng = rng
        self.users = users
        self.listened = listened
        self.outside = outside
        self.match_share = match_share
        self.next_song = 0
        self.matched = 0

    def guest(self, n: int) -> list[Row]:
        rnd, expo = self.rng.random, self.rng.expovariate
        n_guest_pages = len(GUEST_PAGES)
        rows: list[Row] = []
        page = HOME
        for k in range(n):
            if k:  # a registration form is submitted right after it is shown, or abandoned
                page = (
                    SUBMIT_REGISTRATION if page is REGISTER and rnd() < 0.5 else GUEST_PAGES[int(rnd() * n_guest_pages)]
                )
            gap = 0 if k == 0 else 1 if page in QUICK else int(expo(1 / 40))
            rows.append((gap, page, NO_SONG, GUEST))
        return rows

    def user(self, plan: Session) -> list[Row]:
        rnd, expo = self.rng.random, self.rng.expovariate
        listened, outside, match_share = self.listened, self.outside, self.match_share
        n_listened, n_outside = len(listened), len(outside)
        n, change_at, cancel = plan.events, plan.change_at, plan.cancel
        rows: list[Row] = []
        user = self.users[plan.user]
        level = user.level
        who = user.logged_in
        plain = change_at < 0 and not cancel  # sessions with a planned event never log out
        logged_in = not (plain and n >= 3 and rnd() < P_START_LOGGED_OUT)
        seen = user.seen
        playing = -1  # whole seconds of the song the previous event started, -1 when none
        k = 0
        while k < n:
            if k == change_at:
                change = user.change
                assert change is not None, "a session with a level change belongs to a user with one planned"
                gap = int(rnd() * playing) if playing >= 0 else int(expo(1 / 40))
                rows.append((gap, change.view, NO_SONG, who[level]))
                rows.append((1, change.submit, NO_SONG, who[level]))
                level = user.level = change.level
                playing = -1
                k += 2
                continue
            if cancel and n - k == 2:
                rows.append((int(expo(1 / 40)), CANCEL, NO_SONG, who[level]))
                rows.append((1, CANCELLATION, NO_SONG, user.cancelled[level]))
                break
            if not logged_in:
                r = rnd()
                if r < 0.5:
                    page, logged_in, gap = LOGIN, True, 1
                else:
                    page, gap = (HOME if r < 0.9 else ABOUT if r < 0.95 else HELP), int(expo(1 / 60))
                rows.append((0 if k == 0 else gap, page, NO_SONG, LOGGED_OUT[level]))
                playing = -1
            elif rnd() < P_NEXT_SONG:
                if rnd() < match_share:
                    song = listened[int(rnd() * rnd() * n_listened)]
                    self.matched += 1
                else:
                    song = outside[int(rnd() * rnd() * n_outside)]
                self.next_song += 1
                gap = 0 if k == 0 else playing if playing >= 0 else int(expo(1 / 40))
                rows.append((gap, NEXT_SONG, song, who[level]))
                playing = song.seconds
                seen = True
            else:
                other = OTHER_PAGES[bisect(OTHER_CUM, rnd())]
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
                elif page in QUICK:
                    gap = 1
                else:
                    gap = int(rnd() * playing) if playing >= 0 else int(expo(1 / 40))
                rows.append((gap, page, NO_SONG, who[level]))
                playing = -1
                seen = True
            k += 1
        user.seen = seen or change_at >= 0 or cancel
        return rows


def _lines(rows: list[Row], start_ms: int, slot: int, session_id: int) -> list[tuple[int, str]]:
    """(ts, line) of a session's rows (pass 2): the gaps, squeezed into `slot` seconds when they overrun it."""
    span = sum([gap for gap, _, _, _ in rows])
    scale = slot / span if span > slot else 1.0
    elapsed = 0
    lines = []
    for item, (gap, page, song, user) in enumerate(rows):
        elapsed += gap
        ts = start_ms + (int(elapsed * scale) if scale < 1.0 else elapsed) * 1000
        line = _LINE % (
            song.artist, user.auth, item, user.last_name, song.length, user.level, page.request, user.registration,
            session_id, song.title, page.status, ts, user.user_agent,
        )  # fmt: skip
        lines.append((ts, line))
    return lines


def _write_day(log_dir: Path, day: date, lines: list[tuple[int, str]]) -> None:
    folder = log_dir / f"{day.year:04d}" / f"{day.month:02d}"
    folder.mkdir(parents=True, exist_ok=True)
    text = "\n".join([line for _, line in lines]).replace("/", "\\/")  # eventsim escapes "/"
    (folder / f"{day.isoformat()}-events.json").write_bytes(text.encode("ascii"))
