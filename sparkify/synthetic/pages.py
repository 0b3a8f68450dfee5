"""The app's pages as events name them, each pre-encoded for the event line, and how they are chosen."""

from __future__ import annotations

import json
from typing import NamedTuple


class Page(NamedTuple):
    """A page of the app: its `method` and `page` fields as one pre-encoded piece of the event line
    (`"PUT","page":"NextSong"`), and the HTTP `status` the app answered with."""

    request: str
    status: int


def _page(method: str, name: str, status: int) -> Page:
    return Page(f'"{method}","page":{json.dumps(name)}', status)


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
OTHER_PAGES = (HOME, LOGOUT, None, SETTINGS, HELP, ABOUT, SAVE_SETTINGS, ERROR)
OTHER_CUM = tuple(sum((635, 90, 81, 56, 38, 22, 10, 9)[: i + 1]) / 941 for i in range(8))
GUEST_PAGES = (HOME, HOME, ABOUT, HELP, REGISTER, REGISTER, ERROR)
# Pages that follow the previous one within a second (a form submit, a redirect).
QUICK = frozenset((SUBMIT_UPGRADE, SUBMIT_DOWNGRADE, SAVE_SETTINGS, LOGIN, CANCELLATION, SUBMIT_REGISTRATION))
