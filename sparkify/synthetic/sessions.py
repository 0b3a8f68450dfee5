"""Who listens when: the users (each with the pre-encoded pieces of their event lines) and their
sessions, spread over the days of the period and laid out inside each day, with the planned level
changes and cancellations; and the guests' short sessions."""

from __future__ import annotations

import json
import random
from bisect import bisect
from dataclasses import dataclass
from typing import NamedTuple

from sparkify.synthetic.pages import DOWNGRADE, SUBMIT_DOWNGRADE, SUBMIT_UPGRADE, UPGRADE, Page
from sparkify.synthetic.vocabulary import (
    ESTIMATED_SECONDS_PER_EVENT,
    FIRST_F,
    FIRST_M,
    LAST,
    METRO_AREAS,
    P_CANCEL,
    P_LEVEL_CHANGE,
    P_START_PAID,
    USER_AGENTS,
)

LEVELS = ("free", "paid")


class UserPieces(NamedTuple):
    """The fields of an event line that describe its user, pre-encoded and pre-joined in key order; each
    piece is named after the key it starts with."""

    auth: str  # auth, firstName, gender
    last_name: str
    level: str  # level, location
    registration: str
    user_agent: str  # userAgent, userId


def pieces(auth: str, level: str, user: tuple[object, ...] | None = None, user_id: str = "") -> UserPieces:
    """`user` is (first name, gender, last name, location, registration, user agent); None for events of
    nobody logged in, whose user fields are null."""
    first, gender, last, location, registration, agent = user or (None,) * 6
    d = json.dumps
    return UserPieces(
        auth=f'{d(auth)},"firstName":{d(first)},"gender":{d(gender)}',
        last_name=d(last),
        level=f'{d(level)},"location":{d(location)}',
        registration=d(registration),
        user_agent=f'{d(agent)},"userId":{d(user_id)}',
    )


class LevelChange(NamedTuple):
    """A user's planned change of level: the new level, the page that offers it and the submit page."""

    level: str
    view: Page
    submit: Page


@dataclass
class User:
    """A user's line pieces by level, the level now, and the level change planned, if any."""

    logged_in: dict[str, UserPieces]
    cancelled: dict[str, UserPieces]
    level: str
    change: LevelChange | None = None
    seen: bool = False  # has at least one event under its userId


def make_user(rng: random.Random, user_id: str, start_s: int, ms: int) -> User:
    gender = "F" if rng.random() < 0.57 else "M"
    first = rng.choice(FIRST_F if gender == "F" else FIRST_M)
    last = rng.choice(LAST)
    location = rng.choice(METRO_AREAS)
    agent = rng.choice(USER_AGENTS)
    registration = float((start_s - rng.randrange(3_600, 120 * 86_400)) * 1000 + ms)
    level = "paid" if rng.random() < P_START_PAID else "free"
    fields = (first, gender, last, location, registration, agent)
    return User(
        logged_in={lv: pieces("Logged In", lv, fields, user_id) for lv in LEVELS},
        cancelled={lv: pieces("Cancelled", lv, fields, user_id) for lv in LEVELS},
        level=level,
    )


class Session(NamedTuple):
    """A planned session. Sessions sort by day and start, which is how eventsim hands out session ids."""

    day: int  # index of the day in the period
    start: int  # second of the day it starts at
    slot: int  # seconds it may last
    order: int  # planning order
    user: int  # index of the user; -1 for a guest
    events: int
    change_at: int  # index of the event that starts the user's level change; -1 for none
    cancel: bool  # ends with the user cancelling


@dataclass
class _Draft:
    """A user's session while it is planned."""

    day: int
    user: int
    events: int
    start: int = 0
    slot: int = 0
    change_at: int = -1
    cancel: bool = False


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


def plan_sessions(
    rng: random.Random, users: list[User], user_events: int, guest_events: int, days: int
) -> list[Session]:
    """Spread exactly `user_events` over the users and `guest_events` over guests, as sessions in time."""
    day_weights = [0.35 + rng.random() for _ in range(days)]
    cum_day = [sum(day_weights[: i + 1]) for i in range(days)]
    weights = [min(rng.paretovariate(1.5), 40.0) for _ in users]  # a few heavy listeners, many light
    total_weight = sum(weights)
    budgets = [int(w / total_weight * user_events) for w in weights]
    for i in range(user_events - sum(budgets)):
        budgets[i % len(users)] += 1

    per_user: list[list[_Draft]] = []
    fallback: tuple[int, int] | None = None
    for u, (user, budget) in enumerate(zip(users, budgets, strict=True)):
        sizes = _session_sizes(rng, budget)
        session_days = sorted(rng.choices(range(days), cum_weights=cum_day, k=len(sizes)))
        sessions = [_Draft(day=d, user=u, events=n) for d, n in zip(session_days, sizes, strict=True)]
        i = 0
        while i < len(sessions):  # lay out each day of this user's sessions
            j = i
            while j < len(sessions) and sessions[j].day == sessions[i].day:
                j += 1
            for s, (t, length) in zip(sessions[i:j], _lay_out_day(rng, sizes[i:j]), strict=True):
                s.start, s.slot = t, length
            i = j
        # A level change needs a page view, its submit and one event after, in the same session.
        candidates = [k for k, n in enumerate(sizes) if n >= 3]
        middle = [k for k in candidates if len(sizes) // 4 <= k <= (3 * len(sizes)) // 4] or candidates
        if candidates and fallback is None:
            fallback = (u, middle[0])
        if candidates and rng.random() < P_LEVEL_CHANGE:
            _plan_change(rng, user, sessions[rng.choice(middle)])
        if sessions and sessions[-1].events >= 3 and sessions[-1].change_at < 0 and rng.random() < P_CANCEL:
            sessions[-1].cancel = True
        per_user.append(sessions)
    if fallback is not None and not any(user.change for user in users):
        u, k = fallback  # the trap must be there even in tiny data sets
        _plan_change(rng, users[u], per_user[u][k])
        per_user[u][k].cancel = False

    plans: list[Session] = []
    for drafts in per_user:
        for s in drafts:
            plans.append(Session(s.day, s.start, s.slot, len(plans), s.user, s.events, s.change_at, s.cancel))
    left = guest_events
    while left > 0:
        n = min(left, rng.randint(1, 5))
        d = min(bisect(cum_day, rng.random() * cum_day[-1]), days - 1)
        t, length = _lay_out_day(rng, [n])[0]
        plans.append(Session(d, t, length, len(plans), -1, n, -1, False))
        left -= n
    plans.sort()  # session ids follow start times, as eventsim hands them out
    return plans


def _plan_change(rng: random.Random, user: User, session: _Draft) -> None:
    session.change_at = rng.randrange(0, session.events - 2)
    if user.level == "free":
        user.change = LevelChange("paid", UPGRADE, SUBMIT_UPGRADE)
    else:
        user.change = LevelChange("free", DOWNGRADE, SUBMIT_DOWNGRADE)
