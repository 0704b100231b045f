"""What happens inside the sessions of a simulated world (``gen_world``): comments and the creator's
replies, likes, shares, follows, reports, ads, gifts (blocked, refunded) and moderation, with the text pools
of comments and replies.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from live_metrics.generator.gen_model import (
    BLOCK_REASONS,
    ET,
    MODERATION_ACTIONS,
    MS_PER_S,
    PROBLEM_CODE,
    PVAR_PLAIN,
    PVAR_PRETTY,
    REPORT_REASONS,
    SHARE_CHANNELS,
    Events,
    GeneratorConfig,
    choice,
    lognormal,
    repeat_index,
)
from live_metrics.generator.gen_sessions import VIEWER_ENGAGEMENT_SIGMA, Sessions
from live_metrics.generator.gen_streams import END_REASON_BANNED, MODERATORS, NO_END_EVENT

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


# --- ad campaigns (the reference table ads are drawn from) ---------------------------------

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


# --- interactions inside sessions --------------------------------------------------------------


def simulate_interactions(
    cfg: GeneratorConfig, streams: dict[str, np.ndarray], sessions: Sessions, stats: dict[str, int]
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
    sessions: Sessions,
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
    t_reply = t + (lognormal(rng, REPLY_MEDIAN_S, 1.0, n_comments).clip(2, 300) * MS_PER_S).astype(np.int64)
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
    rng: np.random.Generator, streams: dict[str, np.ndarray], sessions: Sessions, engagement: np.ndarray
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


def _ads(rng: np.random.Generator, sessions: Sessions) -> tuple[list[Events], int]:
    """ad_impression, ad_clicked and repeated clicks of an impression; returns them and #impressions."""
    actor, stream = sessions.actor, sessions.stream
    idx, t = sessions.place(rng, rng.poisson(ADS_PER_HOUR * sessions.minutes / 60.0))
    n_imp = len(idx)
    imp_no = np.arange(n_imp, dtype=np.int64)
    campaign = choice(rng, [c[3] for c in AD_CAMPAIGNS], n_imp)
    clicked = rng.random(n_imp) < AD_CTR
    impressions = Events.make(ET["ad_impression"], t, actor[idx], stream[idx], a=imp_no, b=campaign, ref=clicked)
    c = np.flatnonzero(clicked)
    t_click = t[c] + (lognormal(rng, 4.0, 0.8, len(c)).clip(0.3, 120) * MS_PER_S).astype(np.int64)
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


def simulate_gifts(
    cfg: GeneratorConfig, people: dict, sessions: Sessions, stats: dict[str, int]
) -> tuple[list[Events], int]:
    """gift_blocked, gift_sent and gift_refunded; returns them and how many gift transactions.
    Adds the attempt and gifter counts to ``stats``."""
    rng = cfg.rng("gifts")
    attempts = _attempt_gifts(rng, cfg.creators, cfg.viewers, people, sessions)
    events, n_txn, gifters = _gift_events(rng, sessions, attempts)
    stats["gift_attempts"] = len(attempts.t)
    stats["gifters"] = gifters
    return events, n_txn


def _attempt_gifts(rng: np.random.Generator, n_c: int, n_v: int, people: dict, sessions: Sessions) -> _GiftAttempts:
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
    gift = np.where(whale, choice(rng, [g[4] for g in GIFTS], n_try), choice(rng, [g[3] for g in GIFTS], n_try))
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
    rng: np.random.Generator, sessions: Sessions, attempts: _GiftAttempts
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
        lognormal(rng, REFUND_DELAY_MEDIAN_H * 3600, 1.2, len(rf)).clip(60, 5 * 86_400) * MS_PER_S
    ).astype(np.int64)
    no_end = sessions.stream_outcome[g_sess[rf]] == NO_END_EVENT  # keep refunds inside streams that have no end event
    t_ref = np.where(no_end, np.minimum(t_ref, np.maximum(s_end[g_sess[rf]], t[sent][rf] + MS_PER_S)), t_ref)
    refunds = Events.make(ET["gift_refunded"], t_ref, actor[g_sess[rf]], stream[g_sess[rf]], a=txn_no[rf])
    return [blocked, sent_events, refunds], n_txn, len(np.unique(sessions.viewer[g_sess]))


# --- moderation --------------------------------------------------------------------------------


def simulate_moderation(cfg: GeneratorConfig, streams: dict[str, np.ndarray], sessions: Sessions) -> Events:
    """moderation_action: warn / mute / remove_viewer at random moments of a stream (aimed at one
    of its viewers), and end_stream just before every banned stream ends."""
    rng = cfg.rng("moderation")
    n_s = len(streams["start"])
    n_users = cfg.creators + cfg.viewers
    n_mod = rng.poisson(MOD_ACTIONS_PER_STREAM, n_s)
    m_stream = repeat_index(n_mod)
    sess_count = np.bincount(sessions.stream, minlength=n_s)
    sess_offset = np.cumsum(sess_count) - sess_count
    has_viewers = sess_count[m_stream] > 0
    # Target: the viewer of a random session of that stream (the creator if nobody watched).
    pick = sess_offset[m_stream] + np.floor(rng.random(len(m_stream)) * sess_count[m_stream]).astype(np.int64)
    target = streams["creator"][m_stream].copy()
    target[has_viewers] = sessions.actor[pick[has_viewers]]
    action = np.where(has_viewers, choice(rng, MOD_ACTION_SHARES, len(m_stream)), 0)
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
