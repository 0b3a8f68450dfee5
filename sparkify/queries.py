"""The classic Sparkify questions as SQL over the curated star schema's bare table names.

The same text runs as Athena named queries (Trino, against the stack's catalog database) and on local
Spark SQL over the lake's tables, so it sticks to what both dialects read alike: no quoted identifiers,
no dialect functions, explicit join conditions, ORDER BY before LIMIT.
"""

from __future__ import annotations

QUERIES: dict[str, str] = {
    "songs_played_by_hour": """
SELECT t.hour, COUNT(*) AS plays
FROM songplays AS sp
JOIN time AS t ON sp.start_time = t.start_time
GROUP BY t.hour
ORDER BY t.hour
""".strip(),
    "top_user_agents": """
SELECT sp.user_agent, COUNT(*) AS plays
FROM songplays AS sp
WHERE sp.user_agent IS NOT NULL
GROUP BY sp.user_agent
ORDER BY plays DESC, sp.user_agent
LIMIT 10
""".strip(),
    "top_songs": """
SELECT s.title, a.name AS artist, COUNT(*) AS plays
FROM songplays AS sp
JOIN songs AS s ON sp.song_id = s.song_id
JOIN artists AS a ON sp.artist_id = a.artist_id
GROUP BY s.title, a.name
ORDER BY plays DESC, s.title, a.name
LIMIT 10
""".strip(),
    "plays_by_level": """
SELECT sp.level, COUNT(*) AS plays, COUNT(DISTINCT sp.user_id) AS users
FROM songplays AS sp
GROUP BY sp.level
ORDER BY sp.level
""".strip(),
    "songplays_star_join": """
SELECT
    sp.songplay_id,
    sp.start_time,
    t.year,
    t.month,
    t.weekday,
    t.hour,
    u.user_id,
    u.first_name,
    u.last_name,
    sp.level,
    s.title AS song_title,
    s.duration,
    a.name AS artist_name,
    sp.location,
    sp.user_agent
FROM songplays AS sp
JOIN time AS t ON sp.start_time = t.start_time
JOIN users AS u ON sp.user_id = u.user_id
LEFT JOIN songs AS s ON sp.song_id = s.song_id
LEFT JOIN artists AS a ON sp.artist_id = a.artist_id
ORDER BY sp.start_time, sp.songplay_id
LIMIT 100
""".strip(),
}

DESCRIPTIONS: dict[str, str] = {
    "songs_played_by_hour": "Song plays per hour of the day.",
    "top_user_agents": "The ten user agents with the most song plays.",
    "top_songs": "The ten most played songs (plays matched to the song catalog).",
    "plays_by_level": "Song plays and distinct users per subscription level (free/paid).",
    "songplays_star_join": "The full star join: each song play with its time, user, song and artist (first 100).",
}
