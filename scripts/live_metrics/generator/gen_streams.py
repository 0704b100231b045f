"""The people and streams of a simulated world (``gen_world``): users with their country, platform, app
version and age, creators' streams with their category, title, length and how they end (including the planted
crash spike and the streams never started), and the lifecycle events of each stream.
"""

from __future__ import annotations

import numpy as np

from live_metrics.generator.gen_model import (
    CATEGORIES,
    END_REASONS,
    ET,
    MS_PER_DAY,
    MS_PER_H,
    MS_PER_MIN,
    MS_PER_S,
    PLATFORMS,
    Events,
    GeneratorConfig,
    choice,
    lognormal,
    rank_in_group,
    repeat_index,
)

# --- people -----------------------------------------------------------------------------

# (country, UTC offset in hours used for "evening local time", share of users)
COUNTRIES: tuple[tuple[str, float, float], ...] = (
    ("US", -5.0, 0.25),
    ("BR", -3.0, 0.10),
    ("MX", -6.0, 0.06),
    ("GB", 0.0, 0.08),
    ("DE", 1.0, 0.06),
    ("FR", 1.0, 0.05),
    ("TR", 3.0, 0.05),
    ("IN", 5.5, 0.08),
    ("ID", 7.0, 0.09),
    ("PH", 8.0, 0.06),
    ("VN", 7.0, 0.05),
    ("JP", 9.0, 0.04),
    ("AU", 10.0, 0.03),
)
PLATFORM_SHARES: tuple[float, ...] = (0.42, 0.48, 0.10)  # ios, android, web (stable per user)
APP_VERSIONS: tuple[tuple[str, ...], ...] = (  # per platform, one per user
    ("34.1.0", "34.2.1", "35.0.0"),
    ("34.1.2", "34.2.0", "35.0.1", "33.9.4"),
    ("web-2026.10.2", "web-2026.11.0"),
)
MODERATORS: tuple[tuple[str, str], ...] = (  # staff ids and their country; not in `users`
    ("mod_01", "IE"),
    ("mod_02", "IE"),
    ("mod_03", "US"),
    ("mod_04", "SG"),
    ("mod_05", "SG"),
)
SYSTEM_ACTOR = "system"
MOD_APP_VERSION = "modtools-3.2.0"
SYSTEM_APP_VERSION = "trust-safety-bot-1.8"
# Viewer age bands (min, max inclusive, share); 3 % are 13-17 so `underage` blocks have a basis.
VIEWER_AGE_BANDS: tuple[tuple[int, int, float], ...] = (
    (13, 17, 0.03),
    (18, 24, 0.34),
    (25, 34, 0.34),
    (35, 44, 0.16),
    (45, 54, 0.09),
    (55, 70, 0.04),
)
CREATOR_AGE_RANGE = (18, 45)
MISSING_BIRTH_YEAR_RATE = 0.03  # users who never gave a birth year (empty in `users`)

# --- creators and streams -----------------------------------------------------------------

POPULARITY_ZIPF_EXPONENT = 1.3  # creator rank r draws ~ r**-1.3 of the audience: a few creators dominate
CREATOR_ACTIVE_DAY_PROB = (0.45, 0.9)  # per creator, chance of streaming on a given day (uniform range)
SECOND_STREAM_PROB = 0.15  # on an active day, chance of a second (afternoon + evening) stream
EVENING_START_SHARE = 0.8  # single streams starting 17:00-23:30 local; the rest 10:00-17:00
STREAM_MEDIAN_MIN = 75.0  # stream length: lognormal around 75 min, clipped to 20 min - 4 h
STREAM_SIGMA = 0.6
STREAM_MIN_MIN, STREAM_MAX_MIN = 20.0, 240.0
MARATHON_STREAM_RATE = 0.02  # streams of 6-9 h (exercise a creator-burnout guardrail)
MARATHON_RANGE_H = (6.0, 9.0)
# How streams end: stream_ended creator_ended / crashed / banned, or no end event at all.
END_OUTCOME_SHARES: tuple[float, ...] = (0.92, 0.03, 0.01, 0.04)
NO_END_EVENT = 3
END_REASON_BANNED = 2  # index into END_REASONS
# Planted incidents, for the demo's anomaly story. GeneratorConfig.crash_spike: on that UTC day a share of the
# streams that would have ended normally crash instead, cut short. GeneratorConfig.alert_outage: on that UTC
# day, from ALERT_OUTAGE_UTC_H for ALERT_OUTAGE_HOURS, live alerts are sent but never delivered (none is
# opened, none brings a viewer).
CRASH_SPIKE_SHARE = 0.6
CRASH_SPIKE_LENGTH = (0.2, 0.7)  # a crashed stream lasts this share of its planned length
ALERT_OUTAGE_UTC_H = 0.0
ALERT_OUTAGE_HOURS = 16.0
NEVER_STARTED_STREAM_RATE = 0.01  # streams whose stream_started is never sent (min 3 once there are 60+)
NEVER_STARTED_MIN_STREAMS = 3

TITLES: tuple[tuple[str, ...], ...] = (  # per category (same order as CATEGORIES)
    (
        "Ranked grind 🎮 road to Diamond",
        'Speedrun attempts, "no hit" run',
        "Chill Minecraft build, come hang",
        "Viewer games: 1v1 me!",
        "Late-night horror game 👻 (don't watch alone)",
    ),
    (
        "Acoustic requests 🎸 — you pick, I play",
        "Lo-fi beats to study to",
        'Karaoke night, "bad singers welcome"',
        "Piano covers: anime, films, games",
        "Writing a song live, part 3",
    ),
    (
        "Q&A: ask me anything, no filter",
        "Morning coffee chat ☕",
        "Storytime: my worst date ever 😬",
        "Hot takes, part 2",
        "Just chatting — Friday vibes",
    ),
    (
        "GRWM for a wedding 💄",
        "Skincare routine, honest reviews",
        'Nail art: "galaxy" tips ✨',
        "Drugstore vs. luxury, round 4",
        "Hair transformation live",
    ),
    (
        "Match day watch-along ⚽",
        "Home workout, 30 min, no equipment",
        "Fantasy league draft, help me",
        "Marathon training: 20 km, live",
        "Skate park session 🛹",
    ),
    (
        "Calculus, explained slowly",
        "Learn Spanish: 100 words in an hour",
        "Python for beginners, lesson 7",
        "History of the Roman Empire, Q&A",
        "Study with me: 4 × 25 min pomodoro 📚",
    ),
)
PRIMARY_CATEGORY_SHARE = 0.85  # a creator's streams in their own category; the rest random


# --- people and streams ----------------------------------------------------------------------


def make_people(cfg: GeneratorConfig) -> dict:
    """Users (creators then viewers), moderators and system, with stable device attributes."""
    rng = cfg.rng("people")
    n_c, n_v = cfg.creators, cfg.viewers
    n_users = n_c + n_v
    width = max(6, len(str(n_users)))
    user_ids = [f"u_{i:0{width}d}" for i in range(1, n_users + 1)]
    country = choice(rng, [c[2] for c in COUNTRIES], n_users)
    platform = choice(rng, PLATFORM_SHARES, n_users)
    version_pool = [v for versions in APP_VERSIONS for v in versions]
    version_offset = np.cumsum([0] + [len(v) for v in APP_VERSIONS])[:-1]
    version_count = np.array([len(v) for v in APP_VERSIONS])
    version = version_offset[platform] + np.floor(rng.random(n_users) * version_count[platform]).astype(np.int64)
    age = np.empty(n_users, dtype=np.int64)
    age[:n_c] = rng.integers(CREATOR_AGE_RANGE[0], CREATOR_AGE_RANGE[1] + 1, n_c)
    band = choice(rng, [b[2] for b in VIEWER_AGE_BANDS], n_v)
    lo = np.array([b[0] for b in VIEWER_AGE_BANDS])[band]
    hi = np.array([b[1] for b in VIEWER_AGE_BANDS])[band]
    age[n_c:] = lo + np.floor(rng.random(n_v) * (hi - lo + 1)).astype(np.int64)
    birth_year = cfg.start.year - age
    has_birth_year = rng.random(n_users) >= MISSING_BIRTH_YEAR_RATE
    underage = has_birth_year & (age <= 17)
    signup_days = np.where(np.arange(n_users) < n_c, rng.integers(200, 2_000, n_users), rng.integers(1, 1_500, n_users))

    country_pool = [c[0] for c in COUNTRIES] + sorted({m[1] for m in MODERATORS} - {c[0] for c in COUNTRIES})
    mod_country = [country_pool.index(m[1]) for m in MODERATORS]
    version_pool += [MOD_APP_VERSION, SYSTEM_APP_VERSION]
    n_extra = len(MODERATORS) + 1
    return {
        "actor_ids": user_ids + [m[0] for m in MODERATORS] + [SYSTEM_ACTOR],
        "platform": np.concatenate([platform, np.full(n_extra, PLATFORMS.index("web"))]),
        "version": np.concatenate([version, np.full(len(MODERATORS), len(version_pool) - 2), [len(version_pool) - 1]]),
        "country": np.concatenate([country, mod_country, [country_pool.index("US")]]),
        "country_offset": np.array([c[1] for c in COUNTRIES])[country],
        "version_pool": version_pool,
        "country_pool": country_pool,
        "user_ids": user_ids,
        "user_country": country,
        "birth_year": birth_year,
        "has_birth_year": has_birth_year,
        "underage": underage,
        "signup_days": signup_days,
    }


def make_streams(cfg: GeneratorConfig, creator_utc_offset: np.ndarray) -> dict[str, np.ndarray]:
    """Streams of every creator-day, sorted by start time (stream index = id order)."""
    rng = cfg.rng("streams")
    n_c, days = cfg.creators, cfg.days
    ranks = rng.permutation(n_c) + 1
    popularity = ranks.astype(np.float64) ** -POPULARITY_ZIPF_EXPONENT * np.exp(0.3 * rng.standard_normal(n_c))
    active_prob = rng.uniform(*CREATOR_ACTIVE_DAY_PROB, n_c)
    primary_category = rng.integers(0, len(CATEGORIES), n_c)

    cd_creator = np.repeat(np.arange(n_c), days)
    cd_day = np.tile(np.arange(days), n_c)
    active = rng.random(n_c * days) < active_prob[cd_creator]
    two = active & (rng.random(n_c * days) < SECOND_STREAM_PROB)
    per_cd = active.astype(np.int64) + two
    cd = repeat_index(per_cd)
    slot = rank_in_group(per_cd)  # 0 or 1
    is_two = two[cd]
    creator, day = cd_creator[cd], cd_day[cd]
    n = len(cd)
    evening = rng.random(n) < EVENING_START_SHARE
    local_h = np.where(
        is_two,
        np.where(slot == 0, rng.uniform(11.0, 15.0, n), rng.uniform(18.0, 23.0, n)),
        np.where(evening, rng.uniform(17.0, 23.5, n), rng.uniform(10.0, 17.0, n)),
    )
    start = (
        cfg.start_ms
        + day * MS_PER_DAY
        + ((local_h - creator_utc_offset[creator]) * MS_PER_H).astype(np.int64)
        + rng.integers(0, MS_PER_S, n)
    )
    minutes = lognormal(rng, STREAM_MEDIAN_MIN, STREAM_SIGMA, n).clip(STREAM_MIN_MIN, STREAM_MAX_MIN)
    marathon = rng.random(n) < MARATHON_STREAM_RATE
    minutes = np.where(marathon, rng.uniform(*MARATHON_RANGE_H, n) * 60.0, minutes)
    length = (minutes * MS_PER_MIN).astype(np.int64) + rng.integers(0, MS_PER_MIN, n)
    # The first of two streams on a day ends at least 30 min before the second starts.
    nxt = np.roll(start, -1)
    room = nxt - start - 30 * MS_PER_MIN
    length = np.where(is_two & (slot == 0), np.maximum(np.minimum(length, room), 20 * MS_PER_MIN), length)
    own_category = rng.random(n) < PRIMARY_CATEGORY_SHARE
    category = np.where(own_category, primary_category[creator], rng.integers(0, len(CATEGORIES), n))
    title = category * len(TITLES[0]) + rng.integers(0, len(TITLES[0]), n)
    outcome = choice(rng, END_OUTCOME_SHARES, n)
    length, outcome = _plant_crashes(cfg, start, length, outcome)

    order = np.argsort(start, kind="stable")
    out = {
        "creator": creator[order],
        "day": day[order],
        "start": start[order],
        "end": (start + length)[order],
        "category": category[order],
        "title": title[order],
        "outcome": outcome[order],
        "popularity": popularity,
    }
    n_never = min(
        max(round(NEVER_STARTED_STREAM_RATE * n), min(NEVER_STARTED_MIN_STREAMS, n // 20)),
        int((out["outcome"] == 0).sum()),
    )
    never = np.zeros(n, dtype=bool)
    never[rng.choice(np.flatnonzero(out["outcome"] == 0), size=n_never, replace=False)] = True
    out["never_started"] = never
    return out


def _plant_crashes(
    cfg: GeneratorConfig, start: np.ndarray, length: np.ndarray, outcome: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Of the streams starting on the crash-spike day (UTC), CRASH_SPIKE_SHARE of those that would end
    normally crash instead, after a part of their planned length (its own random stream: the rest of the
    simulation is unchanged)."""
    spike = cfg.day_index(cfg.crash_spike)
    if spike is None:
        return length, outcome
    rng = cfg.rng("crash_spike")
    n = len(start)
    on_day = (start - cfg.start_ms) // MS_PER_DAY == spike
    hit = on_day & (outcome == 0) & (rng.random(n) < CRASH_SPIKE_SHARE)
    cut = (length * rng.uniform(*CRASH_SPIKE_LENGTH, n)).astype(np.int64)
    crashed = END_REASONS.index("crashed")
    return np.where(hit, np.maximum(cut, 10 * MS_PER_MIN), length), np.where(hit, crashed, outcome)


def alert_outage(cfg: GeneratorConfig) -> tuple[int, int] | None:
    """The planted alert outage as [from, to) epoch milliseconds, or None."""
    day = cfg.day_index(cfg.alert_outage)
    if day is None:
        return None
    begin = cfg.start_ms + day * MS_PER_DAY + int(ALERT_OUTAGE_UTC_H * MS_PER_H)
    return begin, begin + int(ALERT_OUTAGE_HOURS * MS_PER_H)


# --- stream lifecycle ------------------------------------------------------------------------


def stream_lifecycle(streams: dict[str, np.ndarray], stats: dict[str, int]) -> list[Events]:
    """stream_started (unless never started) and stream_ended (unless no end event); adds the
    stream counts to ``stats``."""
    n_s = len(streams["start"])
    s_idx = np.arange(n_s)
    started = ~streams["never_started"]
    started_events = Events.make(
        ET["stream_started"],
        streams["start"][started],
        streams["creator"][started],
        s_idx[started],
        a=streams["category"][started],
        text=streams["title"][started],
    )
    ended = streams["outcome"] != NO_END_EVENT
    ended_events = Events.make(
        ET["stream_ended"],
        streams["end"][ended],
        streams["creator"][ended],
        s_idx[ended],
        a=streams["outcome"][ended],
    )
    stats["streams"] = n_s
    stats["streams_no_end_event"] = int((~ended).sum())
    stats["streams_never_started"] = int((~started).sum())
    stats["streams_marathon_6h_plus"] = int(((streams["end"] - streams["start"]) >= 6 * MS_PER_H).sum())
    for k, reason in enumerate(("creator_ended", "crashed", "banned")):
        stats[f"streams_{reason}"] = int((streams["outcome"] == k).sum())
    return [started_events, ended_events]
