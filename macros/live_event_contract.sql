{#
    The raw event contract of docs/contract/events.md (§Event types) as data: one entry per event type.

    family          the staging model that carries the type
    needs_stream    the type must carry a stream_id
    required        properties that must be present (non-empty)
    positive_int    properties that must be whole numbers >= 1 (else non_positive_quantity,
                    or invalid_property_value when not a whole number)
    non_negative    properties that must be finite numbers >= 0 (else invalid_property_value;
                    NaN and infinity are not numbers)
    at_most         upper bounds of plausibility: a number above its bound is
                    `implausible_value` (a device or producer bug, not a real burst), so
                    that no single row can overflow a sum or swamp an average
    allowed         properties restricted to a closed set of values (any other value quarantines
                    the row as invalid_property_value)
    known           properties with a list of known values where any other value, or none, is kept
                    as `unknown`: the row stays clean and the audit counts it under a warning
                    (live_known_value; int_live__event_outcomes)
    business_key    the id that must be unique among clean events of the type
                    (a second event with the same id is `duplicate_business_key`)
    links_by        the id that ties the event to events of the same id, which may sit in
                    another stream (a refund to its gift, a click to its impression, an open to
                    its notification): the gate keeps it as `link_key`, and an incremental build
                    recomputes the streams tied to a changed one (int_live__build_scope_streams)

    Every rule of the ingestion gate (base_live__events) is generated from this
    dictionary. Adding an event type starts here; README.md "Where a change goes"
    lists the other places (its staging model, its fact, the contract docs, the
    generator and the raw reference of the tests).
#}
{% macro live_event_contract() %}
    {{ return({
        'stream_started': {
            'family': 'stream', 'needs_stream': true,
            'required': ['title', 'category'], 'business_key': 'stream_id'},
        'stream_ended': {
            'family': 'stream', 'needs_stream': true,
            'required': ['end_reason'], 'business_key': 'stream_id',
            'allowed': {'end_reason': ['creator_ended', 'crashed', 'banned']}},
        'notification_sent': {
            'family': 'notification', 'needs_stream': true,
            'required': ['notification_id', 'creator_id'], 'business_key': 'notification_id',
            'links_by': 'notification_id'},
        'notification_opened': {
            'family': 'notification', 'needs_stream': true, 'required': ['notification_id'],
            'links_by': 'notification_id'},
        'notification_opt_out': {
            'family': 'notification', 'needs_stream': false, 'required': ['creator_id']},
        'viewer_joined': {
            'family': 'presence', 'needs_stream': true, 'required': [],
            'known': {'source': ['notification', 'for_you', 'following', 'profile', 'share_link', 'search']}},
        'viewer_left': {'family': 'presence', 'needs_stream': true, 'required': []},
        'playback_stats': {
            'family': 'playback', 'needs_stream': true,
            'required': ['startup_ms', 'rebuffer_ms', 'played_ms'],
            'non_negative': ['startup_ms', 'rebuffer_ms', 'played_ms'],
            'at_most': {'startup_ms': 600000, 'rebuffer_ms': 86400000, 'played_ms': 86400000}},
        'comment_posted': {
            'family': 'chat', 'needs_stream': true,
            'required': ['comment_id', 'text'], 'business_key': 'comment_id'},
        'creator_replied': {'family': 'chat', 'needs_stream': true, 'required': ['comment_id', 'text']},
        'like_sent': {
            'family': 'reaction', 'needs_stream': true, 'required': ['count'], 'positive_int': ['count'],
            'at_most': {'count': 10000}},
        'stream_shared': {'family': 'reaction', 'needs_stream': true, 'required': ['channel']},
        'creator_followed': {'family': 'reaction', 'needs_stream': true, 'required': ['creator_id']},
        'gift_sent': {
            'family': 'gift', 'needs_stream': true,
            'required': ['gift_txn_id', 'gift_id', 'quantity'], 'positive_int': ['quantity'],
            'at_most': {'quantity': 10000}, 'business_key': 'gift_txn_id', 'links_by': 'gift_txn_id'},
        'gift_refunded': {
            'family': 'gift', 'needs_stream': true, 'required': ['gift_txn_id'], 'links_by': 'gift_txn_id'},
        'gift_blocked': {
            'family': 'gift', 'needs_stream': true,
            'required': ['gift_id', 'quantity', 'reason'], 'positive_int': ['quantity'],
            'at_most': {'quantity': 10000},
            'allowed': {'reason': ['underage', 'spending_limit', 'payment_failed']}},
        'ad_impression': {
            'family': 'ad', 'needs_stream': true,
            'required': ['impression_id', 'campaign_id'], 'business_key': 'impression_id',
            'links_by': 'impression_id'},
        'ad_clicked': {
            'family': 'ad', 'needs_stream': true, 'required': ['impression_id'], 'links_by': 'impression_id'},
        'stream_reported': {'family': 'moderation', 'needs_stream': true, 'required': ['reason']},
        'moderation_action': {
            'family': 'moderation', 'needs_stream': true, 'required': ['action', 'target_user_id'],
            'allowed': {'action': ['warn', 'mute', 'remove_viewer', 'end_stream']}},
    }) }}
{% endmacro %}


{#-
    A property of the `known` kind (live_event_contract): its value when it is one of the known values,
    else 'unknown' (missing, empty or unlisted). `value_sql` is the property's text (json_text).
-#}
{% macro live_known_value(event_type, field, value_sql) -%}
    {%- set values = live_event_contract()[event_type]['known'][field] -%}
    case
        when {{ value_sql }} in ('{{ values | join("', '") }}') then {{ value_sql }}
        else 'unknown'
    end
{%- endmacro %}


{#- The traffic sources a session can carry: the known join sources, then 'unknown'. -#}
{% macro live_traffic_sources() -%}
    {{ return(live_event_contract()['viewer_joined']['known']['source'] + ['unknown']) }}
{%- endmacro %}


{#- A quoted, comma-separated SQL list of the known event types (optionally of one family). -#}
{% macro live_event_types(family=none) -%}
    {%- set types = [] -%}
    {%- for event_type, rule in live_event_contract().items() -%}
        {%- if family is none or rule.family == family -%}
            {%- do types.append("'" ~ event_type ~ "'") -%}
        {%- endif -%}
    {%- endfor -%}
    {{ types | join(', ') }}
{%- endmacro %}
