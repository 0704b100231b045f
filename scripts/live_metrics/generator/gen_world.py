"""Simulate a clean live-streaming world as columnar events (no data-quality problems yet).

Everything is vectorised with NumPy: loops run over a handful of event types or
stages, never over events, sessions or streams. Every rate is a constant with
the reason for its value; ``seeds/demo/README.md`` documents the resulting numbers.

Actors are integers: creators are 0..C-1, viewers C..C+V-1 (viewer v is actor C+v),
then the moderators and ``system``.

This module holds the world (``World``), its stages in order (``build_world``) and its reference tables; the
stages live in ``gen_streams`` (people, streams and how they end), ``gen_sessions`` (follows, live alerts,
visits and viewer sessions) and ``gen_interactions`` (comments, likes, shares, follows, reports, ads, gifts and
moderation inside the streams).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from live_metrics.generator.gen_interactions import (
    AD_CAMPAIGNS,
    ADVERTISERS,
    GIFTS,
    simulate_gifts,
    simulate_interactions,
    simulate_moderation,
)
from live_metrics.generator.gen_model import (
    PROBLEM_CODE,
    Events,
    GeneratorConfig,
)
from live_metrics.generator.gen_sessions import make_follows, plan_visits, send_alerts, simulate_sessions
from live_metrics.generator.gen_streams import COUNTRIES, make_people, make_streams, stream_lifecycle

# --- reference tables -----------------------------------------------------------------------

# (valid_from offset in days from the start date, usd_per_coin); the last row is mid-period.
COIN_PRICE_STEPS: tuple[tuple[int | None, float], ...] = ((-400, 0.0105), (-120, 0.0110), (None, 0.0125))


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


# --- the simulation ------------------------------------------------------------------------


def build_world(cfg: GeneratorConfig) -> World:
    """Simulate the clean world for ``cfg``.

    Stages, each with its own random stream (see ``GeneratorConfig.rng``): people, streams,
    follows, live alerts, visits, sessions, interactions inside sessions, gifts, moderation.
    The events of each stage are appended in this order (it fixes the event numbers).
    """
    n_c, n_v = cfg.creators, cfg.viewers
    people = make_people(cfg)
    streams = make_streams(cfg, people["country_offset"][:n_c])
    stats: dict[str, int] = {}
    lifecycle = stream_lifecycle(streams, stats)
    follows = make_follows(cfg, streams)
    stats["follows"] = len(follows.keys)
    alerts, alert_events = send_alerts(cfg, streams, follows)
    visits = plan_visits(cfg, streams, follows, alerts)
    sessions, session_events = simulate_sessions(cfg, streams, visits, stats)
    interactions, n_comments, n_imp = simulate_interactions(cfg, streams, sessions, stats)
    gifts, n_txn = simulate_gifts(cfg, people, sessions, stats)
    moderation = simulate_moderation(cfg, streams, sessions)

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
        reference=reference_tables(cfg, people),
    )


# --- reference tables ------------------------------------------------------------------------


def reference_tables(cfg: GeneratorConfig, people: dict) -> dict[str, dict[str, list[str | None]]]:
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
