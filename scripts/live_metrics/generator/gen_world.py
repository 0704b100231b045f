"""Simulate a clean live-streaming world as columnar events (no data-quality problems yet).

Everything is vectorised with NumPy: loops run over a handful of event types or
stages, never over events, sessions or streams. Every rate below is a constant with
the reason for its value; ``seeds/demo/README.md`` documents the resulting numbers.

Actors are integers: creators are 0..C-1, viewers C..C+V-1 (viewer v is actor C+v),
then the moderators and ``system``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from live_metrics.generator.gen_model import (
    BLOCK_REASONS,
    CATEGORIES,
    END_REASONS,
    ET,
    JOIN_SOURCES,
    MODERATION_ACTIONS,
    MS_PER_DAY,
    MS_PER_H,
    MS_PER_MIN,
    MS_PER_S,
    PLATFORMS,
    PROBLEM_CODE,
    PVAR_PLAIN,
    PVAR_PRETTY,
    REPORT_REASONS,
    SHARE_CHANNELS,
    Events,
    GeneratorConfig,
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

# --- followers and notifications -------------------------------------------------------

FOLLOWS_EXTRA_MEAN = 1.5  # each viewer follows 1 + Poisson(1.5) creators, weighted by popularity
NOTIFICATION_DELAY_MS = (1_000, 20_000)  # live alert sent this long after the stream starts
NOTIFICATION_OPEN_RATE = 0.04  # share of live alerts opened (target 3-5 %)
NOTIFICATION_OPEN_MEDIAN_S = 90.0  # open delay: lognormal, seconds to tens of minutes
NOTIFICATION_JOIN_RATE = 0.85  # openers who then join (with source=notification)
OPT_OUT_RATE = 0.01  # alerts answered by notification_opt_out; later alerts for that pair stop

# --- viewer sessions ----------------------------------------------------------------------

VISITS_PER_VIEWER_DAY = 1.0  # organic (non-alert) stream visits per viewer per day
VIEWER_ACTIVITY_SIGMA = 1.0  # heavy-tailed viewer activity (lognormal)
VIEWER_ENGAGEMENT_SIGMA = 0.7  # multiplier on a viewer's interaction rates (lognormal)
# Organic visit sources (alert visits are `notification`): for_you dominates.
ORGANIC_SOURCE_SHARES: dict[str, float] = {
    "for_you": 0.60,
    "following": 0.14,
    "profile": 0.09,
    "share_link": 0.08,
    "search": 0.09,
}
REJOIN_PROB = 0.15  # after leaving, chance to come back to the same stream (geometric)
REJOIN_SOURCE_SHARES: dict[str, float] = {"for_you": 0.6, "profile": 0.25, "following": 0.15}
SESSION_MEDIAN_MIN = 4.0  # session length: lognormal, median 4 min, heavy tail
SESSION_SIGMA = 1.3
SESSION_MIN_MS = 5 * MS_PER_S
REJOIN_GAP_MEAN_MIN = 6.0  # pause between two sessions of one viewer in one stream
STREAM_END_KICK_MS = 3_000  # sessions open at the stream's end get their leave 0-3 s later
NO_LEAVE_RATE = 0.05  # sessions with no viewer_left / playback_stats (app killed)
RECONNECT_RATE = 0.10  # sessions with an extra viewer_joined while open
JOIN_BEFORE_START_RATE = 0.005  # sessions joining just after the start, stamped 0.5-30 s before it
STARTUP_MEDIAN_MS = 1_100.0  # playback startup: lognormal, median 1.1 s
STARTUP_SIGMA = 0.45
REBUFFER_MEDIAN_SHARE = 0.006  # rebuffer time as a share of played time (lognormal)

# --- interactions inside sessions (rates per session-minute unless stated) -----------

COMMENTS_PER_MIN = 0.09
LIKE_BURSTS_PER_MIN = 0.15
LIKE_BURST_MEAN_TAPS = 4.0  # taps per like_sent (geometric, >= 1)
SHARES_PER_MIN = 0.004
FOLLOW_PER_SESSION = 0.03  # creator_followed during a session
ADS_PER_HOUR = 3.0  # ad_impression per session-hour
AD_CTR = 0.02  # impressions clicked
AD_DOUBLE_CLICK_RATE = 0.15  # clicked impressions clicked a second time
REPORT_PER_SESSION = 0.002  # stream_reported per session (x25 in streams that get banned)
REPORT_BANNED_BOOST = 25.0
REPLY_RATE_RANGE = (0.2, 0.4)  # per creator: share of comments answered
REPLY_MEDIAN_S = 20.0  # reply latency: lognormal, 2 s - 5 min
REPLY_AFTER_END_KEEP = 0.3  # replies that would land after stream_ended: kept (not "live") this often
PRETTY_JSON_COMMENT_RATE = 0.05  # comment_posted whose properties JSON is pretty-printed (raw newlines)

# --- gifts --------------------------------------------------------------------------------

GIFTER_SHARE = 0.055  # adult viewers who ever gift (single-digit %)
UNDERAGE_GIFT_TRY_SHARE = 0.3  # viewers under 18 who try to gift (always blocked: underage)
GIFTER_INTENSITY_SIGMA = 1.3  # lognormal gifting intensity: a few whales
GIFTS_PER_MIN = 0.10  # gift attempts per session-minute at intensity 1
WHALE_INTENSITY = float(np.exp(1.3))  # gifters above this pick expensive gifts half the time
# gift_catalog: (gift_id, gift_name, coin_cost, pick weight for most gifters, weight for whales)
GIFTS: tuple[tuple[str, str, int, float, float], ...] = (
    ("gift_01", "Rose", 1, 50.0, 5.0),
    ("gift_02", "Finger Heart", 5, 20.0, 5.0),
    ("gift_03", "Doughnut", 30, 12.0, 5.0),
    ("gift_04", "Hat and Mustache", 99, 8.0, 8.0),
    ("gift_05", "Sunglasses", 199, 4.0, 10.0),
    ("gift_06", "Corgi", 299, 3.0, 12.0),
    ("gift_07", "Galaxy", 1_000, 1.5, 20.0),
    ("gift_08", "Sports Car", 7_000, 0.3, 18.0),
    ("gift_09", "Lion", 29_999, 0.1, 10.0),
    ("gift_10", "TikTok Universe", 44_999, 0.05, 4.0),
)
QUANTITY_COMBO_RATE = 0.05  # gifts sent as a x10 / x99 combo
PAYMENT_FAILED_RATE = 0.025  # adult gift attempts blocked: payment_failed
SPENDING_LIMIT_RATE = 0.015  # ... spending_limit (x4 for whales)
REFUND_RATE = 0.015  # gift txns later refunded
REFUND_DELAY_MEDIAN_H = 3.0  # lognormal, 1 min - 5 days (clipped inside streams with no end event)

# --- moderation ---------------------------------------------------------------------------

MOD_ACTIONS_PER_STREAM = 0.25  # warn / mute / remove_viewer per stream (Poisson)
MOD_ACTION_SHARES: tuple[float, ...] = (0.5, 0.3, 0.2)  # warn, mute, remove_viewer
SYSTEM_MODERATOR_SHARE = 0.3  # actions taken by `system` instead of a moderator

# --- reference tables -----------------------------------------------------------------------

# (valid_from offset in days from the start date, usd_per_coin); the last row is mid-period.
COIN_PRICE_STEPS: tuple[tuple[int | None, float], ...] = ((-400, 0.0105), (-120, 0.0110), (None, 0.0125))
ADVERTISERS: tuple[tuple[str, str], ...] = (
    ("adv_01", "Acme, Inc."),
    ("adv_02", "Glow Cosmetics"),
    ("adv_03", '"Fast" Food Co'),
    ("adv_04", "Nimbus Mobile"),
    ("adv_05", "Kōhī Coffee ☕"),
)
AD_CAMPAIGNS: tuple[tuple[str, int, float, float], ...] = (  # campaign_id, advertiser #, cpm_usd, weight
    ("cmp_001", 0, 4.50, 3.0),
    ("cmp_002", 0, 6.00, 1.5),
    ("cmp_003", 1, 12.00, 1.0),
    ("cmp_004", 2, 2.25, 4.0),
    ("cmp_005", 2, 3.10, 2.0),
    ("cmp_006", 3, 8.75, 1.5),
    ("cmp_007", 4, 15.00, 0.5),
    ("cmp_008", 4, 5.40, 1.0),
)


# --- text pools (JSON-encoded when written) -------------------------------------------------

COMMENT_TEXTS: tuple[str, ...] = (
    "hi!",
    "hello from São Paulo 🇧🇷",
    "first",
    "lol",
    "😂😂😂",
    "❤️❤️❤️",
    "this is so good",
    "W stream",
    "gg",
    "can you say hi to my mom?",
    'he said "no way" lol',
    'play "Bohemian Rhapsody", please!!',
    "wait, what?",
    "ok, ok, ok",
    "1, 2, 3, go",
    "line one\nline two",
    'first line\nsecond, with a comma\nthird "quoted"',
    "tab\tinside",
    "back\\slash \\o/",
    "it's 3am here 😴",
    "こんにちは！",
    "привет, как дела?",
    "مرحبا بالجميع",
    "नमस्ते 🙏",
    "안녕하세요",
    "xin chào 👋",
    "¿de dónde eres?",
    "👩‍💻 coding along",
    "🔥🔥🔥🔥🔥",
    "10/10 would watch again",
    "<3",
    "@creator shoutout pls",
    "#fyp #live",
    "price??",
    "link in bio?",
    '"',
    "''",
    "semi;colon; here",
    "100% agree",
    "null",
    "{not json}",
    'a,b,"c"\nd',
    "where are you from?",
    "love this song",
    "so relaxing",
    "you're the best",
    "🤣🤣",
    "who's here from the for you page?",
)
REPLY_TEXTS: tuple[str, ...] = (
    "thank you!! ❤️",
    "haha yes",
    'it\'s called "Nightcall", by Kavinsky',
    "hi mom 👋",
    "good question, I'll answer after this round",
    "welcome, welcome!",
    "😂",
    "no, that's a secret 🤫",
    "from Lisbon 🇵🇹",
    "ok, ok — one more song\nthen bed",
    "100%",
    "thanks for the gift!!",
)


@dataclass
class World:
    """The clean simulated world: events plus what the problem injection and writer need."""

    events: Events
    n_creators: int
    n_viewers: int
    actor_ids: list[str]  # user_id text per actor (users, moderators, system)
    actor_platform: np.ndarray  # index into PLATFORMS
    actor_version: np.ndarray  # index into version_pool
    actor_country: np.ndarray  # index into country_pool
    version_pool: list[str]
    country_pool: list[str]
    stream_start: np.ndarray  # epoch ms (true start, also for never-started streams)
    stream_end: np.ndarray  # epoch ms (true end, also for streams with no end event)
    stream_creator: np.ndarray
    stream_outcome: np.ndarray  # index into END_REASONS, or NO_END_EVENT
    stream_never_started: np.ndarray  # bool
    session_pairs: np.ndarray  # sorted unique stream * n_viewers + viewer with a session
    id_counts: dict[str, int]  # how many notifications, comments, gift txns, impressions
    entity_stats: dict[str, int] = field(default_factory=dict)
    reference: dict[str, dict[str, list[str | None]]] = field(default_factory=dict)


# --- small vectorised helpers ----------------------------------------------------------------


def _lognormal(rng: np.random.Generator, median: float, sigma: float, n: int) -> np.ndarray:
    return median * np.exp(sigma * rng.standard_normal(n))


def _choice(rng: np.random.Generator, shares: np.ndarray | tuple[float, ...] | list[float], n: int) -> np.ndarray:
    p = np.asarray(shares, dtype=np.float64)
    return rng.choice(len(p), size=n, p=p / p.sum())


def _repeat_index(counts: np.ndarray) -> np.ndarray:
    """[0,0,1,2,2,2] for counts [2,1,3]."""
    return np.repeat(np.arange(len(counts)), counts)


def _rank_in_group(counts: np.ndarray) -> np.ndarray:
    """Position of each expanded row inside its group: [0,1,0,0,1,2] for counts [2,1,3]."""
    total = int(counts.sum())
    starts = np.cumsum(counts) - counts
    return np.arange(total) - np.repeat(starts, counts)


# --- the simulation ------------------------------------------------------------------------


def build_world(cfg: GeneratorConfig) -> World:
    """Simulate the clean world for ``cfg``.

    Stages, each with its own random stream (see ``GeneratorConfig.rng``): people, streams,
    follows, live alerts, visits, sessions, interactions inside sessions, gifts, moderation.
    The events of each stage are appended in this order (it fixes the event numbers).
    """
    n_c, n_v = cfg.creators, cfg.viewers
    people = _make_people(cfg)
    streams = _make_streams(cfg, people["country_offset"][:n_c])
    stats: dict[str, int] = {}
    lifecycle = _stream_lifecycle(streams, stats)
    follows = _make_follows(cfg, streams)
    stats["follows"] = len(follows.keys)
    alerts, alert_events = _send_alerts(cfg, streams, follows)
    visits = _plan_visits(cfg, streams, follows, alerts)
    sessions, session_events = _simulate_sessions(cfg, streams, visits, stats)
    interactions, n_comments, n_imp = _interactions(cfg, streams, sessions, stats)
    gifts, n_txn = _gifts(cfg, people, sessions, stats)
    moderation = _moderation(cfg, streams, sessions)

    events = Events.concat([*lifecycle, *alert_events, *session_events, *interactions, *gifts, moderation])
    never = streams["never_started"][np.maximum(events["stream"], 0)] & (events["stream"] >= 0)
    events["problem"] = np.where(never, PROBLEM_CODE["stream_not_started"], events["problem"])
    stats["rows_in_never_started_streams"] = int(never.sum())

    return World(
        events=events,
        n_creators=n_c,
        n_viewers=n_v,
        actor_ids=people["actor_ids"],
        actor_platform=people["platform"],
        actor_version=people["version"],
        actor_country=people["country"],
        version_pool=people["version_pool"],
        country_pool=people["country_pool"],
        stream_start=streams["start"],
        stream_end=streams["end"],
        stream_creator=streams["creator"],
        stream_outcome=streams["outcome"],
        stream_never_started=streams["never_started"],
        session_pairs=np.unique(sessions.stream.astype(np.int64) * n_v + sessions.viewer),
        id_counts={
            "notification": alerts.n_sent,
            "comment": n_comments,
            "gift_txn": n_txn,
            "impression": n_imp,
            "stream": len(streams["start"]),
            "user": n_c + n_v,
        },
        entity_stats=stats,
        reference=_reference_tables(cfg, people),
    )


# --- people and streams ----------------------------------------------------------------------


def _make_people(cfg: GeneratorConfig) -> dict:
    """Users (creators then viewers), moderators and system, with stable device attributes."""
    rng = cfg.rng("people")
    n_c, n_v = cfg.creators, cfg.viewers
    n_users = n_c + n_v
    width = max(6, len(str(n_users)))
    user_ids = [f"u_{i:0{width}d}" for i in range(1, n_users + 1)]
    country = _choice(rng, [c[2] for c in COUNTRIES], n_users)
    platform = _choice(rng, PLATFORM_SHARES, n_users)
    version_pool = [v for versions in APP_VERSIONS for v in versions]
    version_offset = np.cumsum([0] + [len(v) for v in APP_VERSIONS])[:-1]
    version_count = np.array([len(v) for v in APP_VERSIONS])
    version = version_offset[platform] + np.floor(rng.random(n_users) * version_count[platform]).astype(np.int64)
    age = np.empty(n_users, dtype=np.int64)
    age[:n_c] = rng.integers(CREATOR_AGE_RANGE[0], CREATOR_AGE_RANGE[1] + 1, n_c)
    band = _choice(rng, [b[2] for b in VIEWER_AGE_BANDS], n_v)
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


def _make_streams(cfg: GeneratorConfig, creator_utc_offset: np.ndarray) -> dict[str, np.ndarray]:
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
    cd = _repeat_index(per_cd)
    slot = _rank_in_group(per_cd)  # 0 or 1
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
    minutes = _lognormal(rng, STREAM_MEDIAN_MIN, STREAM_SIGMA, n).clip(STREAM_MIN_MIN, STREAM_MAX_MIN)
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
    outcome = _choice(rng, END_OUTCOME_SHARES, n)
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


def _stream_lifecycle(streams: dict[str, np.ndarray], stats: dict[str, int]) -> list[Events]:
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


# --- follows and live alerts -----------------------------------------------------------------


@dataclass(frozen=True)
class _Follows:
    """Who follows whom: (viewer, creator) pairs, and each creator's followers."""

    keys: np.ndarray  # sorted unique viewer * n_creators + creator
    viewer_by_creator: np.ndarray  # follower viewers, grouped by creator
    count: np.ndarray  # followers per creator
    offset: np.ndarray  # where each creator's group starts in viewer_by_creator


def _make_follows(cfg: GeneratorConfig, streams: dict[str, np.ndarray]) -> _Follows:
    """Each viewer follows 1 + Poisson(FOLLOWS_EXTRA_MEAN) creators, drawn by popularity."""
    rng = cfg.rng("follows")
    n_c, n_v = cfg.creators, cfg.viewers
    pop = streams["popularity"]
    n_follow = 1 + rng.poisson(FOLLOWS_EXTRA_MEAN, n_v)
    f_viewer = _repeat_index(n_follow)
    f_creator = rng.choice(n_c, size=len(f_viewer), p=pop / pop.sum())
    follow_keys = np.unique(f_viewer.astype(np.int64) * n_c + f_creator)
    f_viewer, f_creator = follow_keys // n_c, follow_keys % n_c
    order = np.argsort(f_creator, kind="stable")
    f_count = np.bincount(f_creator, minlength=n_c)
    return _Follows(
        keys=follow_keys, viewer_by_creator=f_viewer[order], count=f_count, offset=np.cumsum(f_count) - f_count
    )


@dataclass(frozen=True)
class _Alerts:
    """The live alerts sent (in send order, numbered from 0) and the joins they lead to."""

    stream: np.ndarray
    viewer: np.ndarray
    number: np.ndarray  # notification number (notification_id is derived from it)
    t_join: np.ndarray  # when the viewer would join through the alert
    joins: np.ndarray  # bool: the alert was opened and led to a join

    @property
    def n_sent(self) -> int:
        return len(self.number)


def _send_alerts(
    cfg: GeneratorConfig, streams: dict[str, np.ndarray], follows: _Follows
) -> tuple[_Alerts, list[Events]]:
    """A live alert to every follower when a stream starts (until they opt out of that creator);
    notification_sent, notification_opened and notification_opt_out events."""
    rng = cfg.rng("notifications")
    n_c = cfg.creators
    per_stream = follows.count[streams["creator"]]
    n_stream = _repeat_index(per_stream)
    n_viewer = follows.viewer_by_creator[follows.offset[streams["creator"][n_stream]] + _rank_in_group(per_stream)]
    n_creator = streams["creator"][n_stream]
    n_sent = streams["start"][n_stream] + rng.integers(*NOTIFICATION_DELAY_MS, size=len(n_stream))
    pair = n_viewer.astype(np.int64) * n_c + n_creator
    kept, is_first_opt, t_opt = _stop_alerts_after_opt_out(rng, pair, n_sent)
    n_stream, n_viewer, n_creator, n_sent = n_stream[kept], n_viewer[kept], n_creator[kept], n_sent[kept]
    n_notif = len(n_sent)
    notif_no = np.arange(n_notif, dtype=np.int64)
    opened = rng.random(n_notif) < NOTIFICATION_OPEN_RATE
    outage = alert_outage(cfg)
    if outage is not None:  # sent, never delivered: not opened, so no join either
        opened &= ~((n_sent >= outage[0]) & (n_sent < outage[1]))
    t_open = n_sent + (_lognormal(rng, NOTIFICATION_OPEN_MEDIAN_S, 1.0, n_notif).clip(3, 45 * 60) * MS_PER_S).astype(
        np.int64
    )
    t_notif_join = t_open + rng.integers(1_000, 6_000, size=n_notif)
    notif_join = (
        opened
        & (rng.random(n_notif) < NOTIFICATION_JOIN_RATE)
        & (t_notif_join < streams["end"][n_stream] - 30 * MS_PER_S)
    )
    v_actor = n_viewer + n_c
    events = [
        Events.make(ET["notification_sent"], n_sent, v_actor, n_stream, a=notif_no, b=n_creator, ref=opened),
        Events.make(ET["notification_opened"], t_open[opened], v_actor[opened], n_stream[opened], a=notif_no[opened]),
        Events.make(
            ET["notification_opt_out"], t_opt[is_first_opt], v_actor[is_first_opt], -1, b=n_creator[is_first_opt]
        ),
    ]
    alerts = _Alerts(stream=n_stream, viewer=n_viewer, number=notif_no, t_join=t_notif_join, joins=notif_join)
    return alerts, events


def _stop_alerts_after_opt_out(
    rng: np.random.Generator, pair: np.ndarray, n_sent: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Opt-outs: the first opt-out of a (viewer * n_creators + creator) ``pair`` stops that pair's
    later alerts.

    Returns the alerts kept (indices, in send order), and for those whether each is answered by
    the pair's opt-out and when that opt-out is sent.
    """
    opts = rng.random(len(n_sent)) < OPT_OUT_RATE
    t_opt = n_sent + (_lognormal(rng, 5 * 60.0, 1.0, len(n_sent)).clip(10, 6 * 3600) * MS_PER_S).astype(np.int64)
    _, pair_inv = np.unique(pair, return_inverse=True)
    first_opt = np.full(pair_inv.max() + 1 if len(pair_inv) else 0, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first_opt, pair_inv[opts], t_opt[opts])
    keep = n_sent < first_opt[pair_inv]
    is_first_opt = opts & (t_opt == first_opt[pair_inv]) & keep
    order = np.argsort(n_sent[keep], kind="stable")
    kept = np.flatnonzero(keep)[order]
    return kept, is_first_opt[kept], t_opt[kept]


# --- visits and sessions -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Visits:
    """Wanted visits, alert-driven then organic, sorted by stream, viewer and time."""

    stream: np.ndarray
    viewer: np.ndarray
    t: np.ndarray
    source: np.ndarray  # index into JOIN_SOURCES
    notification: np.ndarray  # notification number, -1 for organic visits


def _plan_visits(cfg: GeneratorConfig, streams: dict[str, np.ndarray], follows: _Follows, alerts: _Alerts) -> _Visits:
    """Alert joins plus organic visits, spread over streams by popularity and length."""
    rng = cfg.rng("visits")
    n_c, n_v = cfg.creators, cfg.viewers
    activity = np.exp(VIEWER_ACTIVITY_SIGMA * rng.standard_normal(n_v))
    dur_h = (streams["end"] - streams["start"]) / MS_PER_H
    weight = streams["popularity"][streams["creator"]] * dur_h
    day_weight = np.bincount(streams["day"], weights=weight, minlength=cfg.days)
    lam = n_v * VISITS_PER_VIEWER_DAY * weight / day_weight[streams["day"]]
    o_count = rng.poisson(lam)
    o_stream = _repeat_index(o_count)
    o_viewer = rng.choice(n_v, size=len(o_stream), p=activity / activity.sum())
    o_t = streams["start"][o_stream] + (
        rng.beta(1.0, 1.6, len(o_stream)) * (streams["end"] - streams["start"])[o_stream]
    ).astype(np.int64)
    src_names = list(ORGANIC_SOURCE_SHARES)
    o_source = np.array([JOIN_SOURCES.index(s) for s in src_names])[
        _choice(rng, list(ORGANIC_SOURCE_SHARES.values()), len(o_stream))
    ]
    follows_it = np.isin(o_viewer.astype(np.int64) * n_c + streams["creator"][o_stream], follows.keys)
    o_source = np.where(
        (o_source == JOIN_SOURCES.index("following")) & ~follows_it, JOIN_SOURCES.index("for_you"), o_source
    )

    joins = alerts.joins
    v_stream = np.concatenate([alerts.stream[joins], o_stream])
    v_viewer = np.concatenate([alerts.viewer[joins], o_viewer])
    v_t = np.concatenate([alerts.t_join[joins], o_t])
    v_source = np.concatenate([np.zeros(int(joins.sum()), dtype=np.int64), o_source])
    v_notif = np.concatenate([alerts.number[joins], np.full(len(o_stream), -1)])
    order = np.lexsort((v_t, v_viewer, v_stream))
    return _Visits(
        stream=v_stream[order],
        viewer=v_viewer[order],
        t=v_t[order],
        source=v_source[order],
        notification=v_notif[order],
    )


@dataclass(frozen=True)
class _Sessions:
    """Viewer sessions, grouped by stream then viewer, in time order inside a group."""

    stream: np.ndarray
    viewer: np.ndarray
    actor: np.ndarray  # the viewer as an actor
    source: np.ndarray  # index into JOIN_SOURCES
    notification: np.ndarray  # notification number, -1 if not joined through an alert
    join: np.ndarray  # true join time, epoch ms
    leave: np.ndarray  # true leave time (at the latest the stream's end)
    stream_start: np.ndarray
    stream_end: np.ndarray
    stream_outcome: np.ndarray  # index into END_REASONS, or NO_END_EVENT
    kicked: np.ndarray  # bool: still open when the stream ended
    first_in_group: np.ndarray  # bool: the viewer's first session in that stream

    def __len__(self) -> int:
        return len(self.stream)

    @property
    def minutes(self) -> np.ndarray:
        return (self.leave - self.join) / MS_PER_MIN

    def place(self, rng: np.random.Generator, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Session index and event time for ``counts`` events per session, uniform inside it."""
        idx = _repeat_index(counts)
        return idx, self.join[idx] + (rng.random(len(idx)) * (self.leave - self.join)[idx]).astype(np.int64)


def _simulate_sessions(
    cfg: GeneratorConfig, streams: dict[str, np.ndarray], visits: _Visits, stats: dict[str, int]
) -> tuple[_Sessions, list[Events]]:
    """Sessions of the visits, their joins and leaves (with their quirks), and playback stats;
    adds the session counts to ``stats``."""
    rng = cfg.rng("sessions")
    sessions = _lay_out_sessions(rng, cfg.creators, streams, visits)
    edges = _stamp_session_edges(rng, sessions)
    events = _session_events(rng, sessions, edges)
    stats["sessions"] = len(sessions)
    stats["sessions_without_leave"] = int((~edges.has_leave).sum())
    stats["sessions_with_reconnect"] = int(edges.reconnect.sum())
    stats["joins_after_session_without_leave"] = int(edges.after_open.sum())
    stats["sessions_join_before_start"] = edges.n_skew
    stats["sessions_ended_by_stream_end"] = int(sessions.kicked.sum())
    stats["viewers_with_session"] = len(np.unique(sessions.viewer))
    return sessions, events


def _lay_out_sessions(
    rng: np.random.Generator, n_creators: int, streams: dict[str, np.ndarray], visits: _Visits
) -> _Sessions:
    """Each visit is 1+ sessions; all sessions of a viewer in a stream are laid out back to back
    (never overlapping) from the group's earliest wanted join time. Sessions that would start at
    the stream's end are dropped."""
    per_visit = rng.geometric(1.0 - REJOIN_PROB, len(visits.stream))
    s_visit = _repeat_index(per_visit)
    first_of_visit = _rank_in_group(per_visit) == 0
    s_stream, s_viewer = visits.stream[s_visit], visits.viewer[s_visit]
    rejoin_src = np.array([JOIN_SOURCES.index(s) for s in REJOIN_SOURCE_SHARES])[
        _choice(rng, list(REJOIN_SOURCE_SHARES.values()), len(s_visit))
    ]
    s_source = np.where(first_of_visit, visits.source[s_visit], rejoin_src)
    s_notif = np.where(first_of_visit, visits.notification[s_visit], -1)
    n_sess = len(s_visit)
    new_group = np.ones(n_sess, dtype=bool)
    new_group[1:] = (s_stream[1:] != s_stream[:-1]) | (s_viewer[1:] != s_viewer[:-1])
    group = np.cumsum(new_group) - 1
    group_first = np.flatnonzero(new_group)
    length = np.maximum(_lognormal(rng, SESSION_MEDIAN_MIN * MS_PER_MIN, SESSION_SIGMA, n_sess), SESSION_MIN_MS).astype(
        np.int64
    )
    gap = (rng.exponential(REJOIN_GAP_MEAN_MIN * MS_PER_MIN, n_sess) + 2 * MS_PER_S).astype(np.int64)
    step = length + gap
    before = np.cumsum(step) - step  # sum of steps of earlier rows (all groups)
    join = visits.t[s_visit][group_first][group] + before - before[group_first][group]
    end_of_stream = streams["end"][s_stream]
    alive = join < end_of_stream - 2 * MS_PER_S
    keep = np.flatnonzero(alive)
    s_stream, s_viewer, s_source, s_notif, join, length, group = (
        x[keep] for x in (s_stream, s_viewer, s_source, s_notif, join, length, group)
    )
    first_in_group = np.ones(len(keep), dtype=bool)
    first_in_group[1:] = group[1:] != group[:-1]
    s_end = streams["end"][s_stream]
    return _Sessions(
        stream=s_stream,
        viewer=s_viewer,
        actor=s_viewer + n_creators,
        source=s_source,
        notification=s_notif,
        join=join,
        leave=np.minimum(join + length, s_end),
        stream_start=streams["start"][s_stream],
        stream_end=s_end,
        stream_outcome=streams["outcome"][s_stream],
        kicked=join + length >= s_end,
        first_in_group=first_in_group,
    )


@dataclass(frozen=True)
class _SessionEdges:
    """How each session's join and leave are stamped in the data, and its extra joins."""

    join_evt: np.ndarray  # viewer_joined time as written
    leave_evt: np.ndarray  # viewer_left time as written
    has_leave: np.ndarray  # bool: a viewer_left (and playback_stats) is sent
    skew: np.ndarray  # bool: joined just after the start, stamped before it
    n_skew: int
    reconnect: np.ndarray  # bool: an extra viewer_joined while the session is open
    t_reconnect: np.ndarray
    after_open: np.ndarray  # bool: the previous session of the group had no viewer_left


def _stamp_session_edges(rng: np.random.Generator, sessions: _Sessions) -> _SessionEdges:
    """Leaves kicked by the stream's end, sessions with no leave, joins stamped before the
    stream's start (clock skew) and reconnects."""
    n_sess = len(sessions)
    join, leave, s_start, s_end = sessions.join, sessions.leave, sessions.stream_start, sessions.stream_end
    leave_evt = np.where(sessions.kicked, s_end + rng.integers(0, STREAM_END_KICK_MS, size=n_sess), leave)
    has_leave = rng.random(n_sess) >= NO_LEAVE_RATE
    # A few sessions that joined right after the start are stamped 0.5-30 s before it (device
    # clock skew): drawn from the first sessions closest to the stream's start, so the shift is small.
    firsts = np.flatnonzero(sessions.first_in_group)
    n_skew = min(max(round(JOIN_BEFORE_START_RATE * n_sess), min(12, n_sess // 100)), len(firsts))
    closest = firsts[np.argsort((join - s_start)[firsts], kind="stable")[: 4 * n_skew]]
    skew = np.zeros(n_sess, dtype=bool)
    skew[rng.choice(closest, size=n_skew, replace=False)] = True
    join_evt = np.where(skew, s_start - rng.integers(500, 30_000, size=n_sess), join)
    reconnect = (rng.random(n_sess) < RECONNECT_RATE) & (leave - join > 10 * MS_PER_S)
    t_reconnect = join + ((leave - join) * rng.uniform(0.2, 0.8, n_sess)).astype(np.int64)
    # After a session with no viewer_left (app killed), the viewer's next join in that stream
    # finds the session still open: in the data it is a reconnect, and is labelled so.
    after_open = np.zeros(n_sess, dtype=bool)
    after_open[1:] = ~sessions.first_in_group[1:] & ~has_leave[:-1]
    return _SessionEdges(
        join_evt=join_evt,
        leave_evt=leave_evt,
        has_leave=has_leave,
        skew=skew,
        n_skew=n_skew,
        reconnect=reconnect,
        t_reconnect=t_reconnect,
        after_open=after_open,
    )


def _session_events(rng: np.random.Generator, sessions: _Sessions, edges: _SessionEdges) -> list[Events]:
    """viewer_joined (plus reconnects), viewer_left and playback_stats of every session."""
    n_sess = len(sessions)
    join, leave, actor, stream = sessions.join, sessions.leave, sessions.actor, sessions.stream
    joined = Events.make(ET["viewer_joined"], edges.join_evt, actor, stream, a=sessions.source, b=sessions.notification)
    joined["problem"] = np.where(
        edges.skew, PROBLEM_CODE["join_before_stream_start"], np.where(edges.after_open, PROBLEM_CODE["reconnect"], 0)
    )
    rc = np.flatnonzero(edges.reconnect)
    reconnects = Events.make(
        ET["viewer_joined"],
        edges.t_reconnect[rc],
        actor[rc],
        stream[rc],
        a=sessions.source[rc],
        b=sessions.notification[rc],
        problem=PROBLEM_CODE["reconnect"],
    )
    lv = np.flatnonzero(edges.has_leave)
    left = Events.make(ET["viewer_left"], edges.leave_evt[lv], actor[lv], stream[lv])
    startup = _lognormal(rng, STARTUP_MEDIAN_MS, STARTUP_SIGMA, n_sess).clip(150, 20_000).astype(np.int64)
    played = np.maximum(((leave - join) * rng.uniform(0.93, 1.0, n_sess)).astype(np.int64) - startup, 0)
    rebuffer = (played * _lognormal(rng, REBUFFER_MEDIAN_SHARE, 1.0, n_sess).clip(0, 0.5)).astype(np.int64)
    playback = Events.make(
        ET["playback_stats"],
        edges.leave_evt[lv] + rng.integers(0, 300, size=len(lv)),
        actor[lv],
        stream[lv],
        a=startup[lv],
        b=rebuffer[lv],
        c=played[lv],
    )
    return [joined, reconnects, left, playback]


# --- interactions inside sessions --------------------------------------------------------------


def _interactions(
    cfg: GeneratorConfig, streams: dict[str, np.ndarray], sessions: _Sessions, stats: dict[str, int]
) -> tuple[list[Events], int, int]:
    """Comments and replies, likes, shares, follows, reports and ads inside the sessions.

    Returns the events, how many comments and how many ad impressions; adds counts to ``stats``.
    """
    rng = cfg.rng("interactions")
    engagement = np.exp(VIEWER_ENGAGEMENT_SIGMA * rng.standard_normal(cfg.viewers))[sessions.viewer]
    comments, n_comments, n_replied = _comments_and_replies(rng, cfg.creators, streams, sessions, engagement)
    stats["comments_replied"] = n_replied
    reactions = _likes_shares_follows_reports(rng, streams, sessions, engagement)
    ads, n_imp = _ads(rng, sessions)
    return [*comments, *reactions, *ads], n_comments, n_imp


def _comments_and_replies(
    rng: np.random.Generator,
    n_creators: int,
    streams: dict[str, np.ndarray],
    sessions: _Sessions,
    engagement: np.ndarray,
) -> tuple[list[Events], int, int]:
    """comment_posted and the creator's creator_replied; returns them, #comments and #replies."""
    outcome = sessions.stream_outcome
    idx, t = sessions.place(rng, rng.poisson(COMMENTS_PER_MIN * sessions.minutes * engagement))
    n_comments = len(idx)
    comment_no = np.arange(n_comments, dtype=np.int64)
    comment_text = rng.integers(0, len(COMMENT_TEXTS), n_comments)
    creator = streams["creator"][sessions.stream[idx]]
    reply_rate = rng.uniform(*REPLY_RATE_RANGE, n_creators)[creator]
    t_reply = t + (_lognormal(rng, REPLY_MEDIAN_S, 1.0, n_comments).clip(2, 300) * MS_PER_S).astype(np.int64)
    after_end = t_reply > sessions.stream_end[idx]
    replied = (rng.random(n_comments) < reply_rate) & (
        ~after_end | ((outcome[idx] != NO_END_EVENT) & (rng.random(n_comments) < REPLY_AFTER_END_KEEP))
    )
    pretty = rng.random(n_comments) < PRETTY_JSON_COMMENT_RATE
    comments = Events.make(
        ET["comment_posted"],
        t,
        sessions.actor[idx],
        sessions.stream[idx],
        a=comment_no,
        text=comment_text,
        ref=replied,
        pvar=np.where(pretty, PVAR_PRETTY, PVAR_PLAIN),
    )
    r = np.flatnonzero(replied)
    replies = Events.make(
        ET["creator_replied"],
        t_reply[r],
        creator[r],
        sessions.stream[idx[r]],
        a=comment_no[r],
        text=rng.integers(0, len(REPLY_TEXTS), len(r)),
        problem=np.where(after_end[r], PROBLEM_CODE["reply_after_stream_end"], 0),
    )
    return [comments, replies], n_comments, len(r)


def _likes_shares_follows_reports(
    rng: np.random.Generator, streams: dict[str, np.ndarray], sessions: _Sessions, engagement: np.ndarray
) -> list[Events]:
    """like_sent, stream_shared, creator_followed and stream_reported (more in streams later banned)."""
    n_sess = len(sessions)
    actor, stream, minutes = sessions.actor, sessions.stream, sessions.minutes
    idx, t = sessions.place(rng, rng.poisson(LIKE_BURSTS_PER_MIN * minutes * engagement))
    taps = rng.geometric(1.0 / LIKE_BURST_MEAN_TAPS, len(idx))
    likes = Events.make(ET["like_sent"], t, actor[idx], stream[idx], a=taps)
    idx, t = sessions.place(rng, rng.poisson(SHARES_PER_MIN * minutes * engagement))
    shares = Events.make(
        ET["stream_shared"], t, actor[idx], stream[idx], a=rng.integers(0, len(SHARE_CHANNELS), len(idx))
    )
    idx, t = sessions.place(rng, (rng.random(n_sess) < FOLLOW_PER_SESSION).astype(np.int64))
    follows = Events.make(ET["creator_followed"], t, actor[idx], stream[idx], b=streams["creator"][stream[idx]])
    p_report = REPORT_PER_SESSION * np.where(sessions.stream_outcome == END_REASON_BANNED, REPORT_BANNED_BOOST, 1.0)
    idx, t = sessions.place(rng, (rng.random(n_sess) < p_report).astype(np.int64))
    reports = Events.make(
        ET["stream_reported"], t, actor[idx], stream[idx], a=rng.integers(0, len(REPORT_REASONS), len(idx))
    )
    return [likes, shares, follows, reports]


def _ads(rng: np.random.Generator, sessions: _Sessions) -> tuple[list[Events], int]:
    """ad_impression, ad_clicked and repeated clicks of an impression; returns them and #impressions."""
    actor, stream = sessions.actor, sessions.stream
    idx, t = sessions.place(rng, rng.poisson(ADS_PER_HOUR * sessions.minutes / 60.0))
    n_imp = len(idx)
    imp_no = np.arange(n_imp, dtype=np.int64)
    campaign = _choice(rng, [c[3] for c in AD_CAMPAIGNS], n_imp)
    clicked = rng.random(n_imp) < AD_CTR
    impressions = Events.make(ET["ad_impression"], t, actor[idx], stream[idx], a=imp_no, b=campaign, ref=clicked)
    c = np.flatnonzero(clicked)
    t_click = t[c] + (_lognormal(rng, 4.0, 0.8, len(c)).clip(0.3, 120) * MS_PER_S).astype(np.int64)
    clicks = Events.make(ET["ad_clicked"], t_click, actor[idx[c]], stream[idx[c]], a=imp_no[c])
    c2 = rng.random(len(c)) < AD_DOUBLE_CLICK_RATE
    repeats = Events.make(
        ET["ad_clicked"],
        t_click[c2] + rng.integers(200, 5_000, size=int(c2.sum())),
        actor[idx[c[c2]]],
        stream[idx[c[c2]]],
        a=imp_no[c[c2]],
        problem=PROBLEM_CODE["repeat_ad_click"],
    )
    return [impressions, clicks, repeats], n_imp


# --- gifts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _GiftAttempts:
    """Gift attempts inside sessions (blocked or sent)."""

    session: np.ndarray  # session index
    t: np.ndarray
    gift: np.ndarray  # index into GIFTS
    quantity: np.ndarray
    block: np.ndarray  # index into BLOCK_REASONS, -1 if the gift goes through


def _gifts(cfg: GeneratorConfig, people: dict, sessions: _Sessions, stats: dict[str, int]) -> tuple[list[Events], int]:
    """gift_blocked, gift_sent and gift_refunded; returns them and how many gift transactions.
    Adds the attempt and gifter counts to ``stats``."""
    rng = cfg.rng("gifts")
    attempts = _attempt_gifts(rng, cfg.creators, cfg.viewers, people, sessions)
    events, n_txn, gifters = _gift_events(rng, sessions, attempts)
    stats["gift_attempts"] = len(attempts.t)
    stats["gifters"] = gifters
    return events, n_txn


def _attempt_gifts(rng: np.random.Generator, n_c: int, n_v: int, people: dict, sessions: _Sessions) -> _GiftAttempts:
    """Who tries to gift what and how many, and which attempts are blocked (and why)."""
    underage = people["underage"][n_c:]
    intensity = np.where(
        underage,
        np.where(rng.random(n_v) < UNDERAGE_GIFT_TRY_SHARE, 1.0, 0.0),
        np.where(rng.random(n_v) < GIFTER_SHARE, np.exp(GIFTER_INTENSITY_SIGMA * rng.standard_normal(n_v)), 0.0),
    )
    s_viewer = sessions.viewer
    idx, t = sessions.place(rng, rng.poisson(GIFTS_PER_MIN * sessions.minutes * intensity[s_viewer]))
    n_try = len(idx)
    g_int = intensity[s_viewer[idx]]
    whale = (g_int > WHALE_INTENSITY) & (rng.random(n_try) < 0.5)
    gift = np.where(whale, _choice(rng, [g[4] for g in GIFTS], n_try), _choice(rng, [g[3] for g in GIFTS], n_try))
    qty = rng.geometric(0.6, n_try)
    combo = rng.random(n_try) < QUANTITY_COMBO_RATE
    qty = np.where(combo, np.where(rng.random(n_try) < 0.8, 10, 99), qty)
    r = rng.random(n_try)
    block = np.full(n_try, -1)
    block[r < PAYMENT_FAILED_RATE] = BLOCK_REASONS.index("payment_failed")
    limit_rate = SPENDING_LIMIT_RATE * np.where(g_int > WHALE_INTENSITY, 4.0, 1.0)
    block[(r >= PAYMENT_FAILED_RATE) & (r < PAYMENT_FAILED_RATE + limit_rate)] = BLOCK_REASONS.index("spending_limit")
    block[underage[s_viewer[idx]]] = BLOCK_REASONS.index("underage")
    return _GiftAttempts(session=idx, t=t, gift=gift, quantity=qty, block=block)


def _gift_events(
    rng: np.random.Generator, sessions: _Sessions, attempts: _GiftAttempts
) -> tuple[list[Events], int, int]:
    """The attempts as gift_blocked / gift_sent events, plus refunds of a few transactions.
    Returns the events, how many transactions and how many distinct gifters."""
    actor, stream, s_end = sessions.actor, sessions.stream, sessions.stream_end
    idx, t, gift, qty, block = attempts.session, attempts.t, attempts.gift, attempts.quantity, attempts.block
    b = np.flatnonzero(block >= 0)
    blocked = Events.make(ET["gift_blocked"], t[b], actor[idx[b]], stream[idx[b]], b=gift[b], c=qty[b], d=block[b])
    sent = np.flatnonzero(block < 0)
    n_txn = len(sent)
    txn_no = np.arange(n_txn, dtype=np.int64)
    refunded = rng.random(n_txn) < REFUND_RATE
    g_sess = idx[sent]
    sent_events = Events.make(
        ET["gift_sent"], t[sent], actor[g_sess], stream[g_sess], a=txn_no, b=gift[sent], c=qty[sent], ref=refunded
    )
    rf = np.flatnonzero(refunded)
    t_ref = t[sent][rf] + (
        _lognormal(rng, REFUND_DELAY_MEDIAN_H * 3600, 1.2, len(rf)).clip(60, 5 * 86_400) * MS_PER_S
    ).astype(np.int64)
    no_end = sessions.stream_outcome[g_sess[rf]] == NO_END_EVENT  # keep refunds inside streams that have no end event
    t_ref = np.where(no_end, np.minimum(t_ref, np.maximum(s_end[g_sess[rf]], t[sent][rf] + MS_PER_S)), t_ref)
    refunds = Events.make(ET["gift_refunded"], t_ref, actor[g_sess[rf]], stream[g_sess[rf]], a=txn_no[rf])
    return [blocked, sent_events, refunds], n_txn, len(np.unique(sessions.viewer[g_sess]))


# --- moderation --------------------------------------------------------------------------------


def _moderation(cfg: GeneratorConfig, streams: dict[str, np.ndarray], sessions: _Sessions) -> Events:
    """moderation_action: warn / mute / remove_viewer at random moments of a stream (aimed at one
    of its viewers), and end_stream just before every banned stream ends."""
    rng = cfg.rng("moderation")
    n_s = len(streams["start"])
    n_users = cfg.creators + cfg.viewers
    n_mod = rng.poisson(MOD_ACTIONS_PER_STREAM, n_s)
    m_stream = _repeat_index(n_mod)
    sess_count = np.bincount(sessions.stream, minlength=n_s)
    sess_offset = np.cumsum(sess_count) - sess_count
    has_viewers = sess_count[m_stream] > 0
    # Target: the viewer of a random session of that stream (the creator if nobody watched).
    pick = sess_offset[m_stream] + np.floor(rng.random(len(m_stream)) * sess_count[m_stream]).astype(np.int64)
    target = streams["creator"][m_stream].copy()
    target[has_viewers] = sessions.actor[pick[has_viewers]]
    action = np.where(has_viewers, _choice(rng, MOD_ACTION_SHARES, len(m_stream)), 0)
    t_mod = streams["start"][m_stream] + (
        rng.random(len(m_stream)) * (streams["end"] - streams["start"])[m_stream]
    ).astype(np.int64)
    banned = np.flatnonzero(streams["outcome"] == END_REASON_BANNED)
    m_stream = np.concatenate([m_stream, banned])
    target = np.concatenate([target, streams["creator"][banned]])
    action = np.concatenate([action, np.full(len(banned), MODERATION_ACTIONS.index("end_stream"))])
    t_mod = np.concatenate([t_mod, streams["end"][banned] - rng.integers(1_000, 10_000, size=len(banned))])
    moderator = np.where(
        rng.random(len(m_stream)) < SYSTEM_MODERATOR_SHARE,
        n_users + len(MODERATORS),
        n_users + rng.integers(0, len(MODERATORS), len(m_stream)),
    )
    return Events.make(ET["moderation_action"], t_mod, moderator, m_stream, a=action, b=target)


# --- reference tables ------------------------------------------------------------------------


def _reference_tables(cfg: GeneratorConfig, people: dict) -> dict[str, dict[str, list[str | None]]]:
    """users, gift_catalog, coin_prices, ad_campaigns as columns of text (None = empty)."""
    signup = [(cfg.start - dt.timedelta(days=int(d))).isoformat() for d in people["signup_days"]]
    birth = [
        str(int(y)) if has else None for y, has in zip(people["birth_year"], people["has_birth_year"], strict=True)
    ]
    prices_from = [
        (cfg.start + dt.timedelta(days=off if off is not None else cfg.days // 2)).isoformat()
        for off, _ in COIN_PRICE_STEPS
    ]
    return {
        "users": {
            "user_id": list(people["user_ids"]),
            "signup_date": signup,
            "country": [COUNTRIES[int(i)][0] for i in people["user_country"]],
            "birth_year": birth,
        },
        "gift_catalog": {
            "gift_id": [g[0] for g in GIFTS],
            "gift_name": [g[1] for g in GIFTS],
            "coin_cost": [str(g[2]) for g in GIFTS],
        },
        "coin_prices": {
            "valid_from": prices_from,
            "usd_per_coin": [f"{p:.4f}" for _, p in COIN_PRICE_STEPS],
        },
        "ad_campaigns": {
            "campaign_id": [c[0] for c in AD_CAMPAIGNS],
            "advertiser_id": [ADVERTISERS[c[1]][0] for c in AD_CAMPAIGNS],
            "advertiser_name": [ADVERTISERS[c[1]][1] for c in AD_CAMPAIGNS],
            "cpm_usd": [f"{c[2]:.2f}" for c in AD_CAMPAIGNS],
        },
    }
