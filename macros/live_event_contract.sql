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

    Every row rule of the ingestion gate (base_live__events) is generated from this
    dictionary by live_row_rules below, and applied by live_row_reason. Adding an event
    type or a rule starts here; README.md "Where a change goes" lists the other places
    (its staging model, its fact, the contract docs, the reason-code seed, the
    generator, the benchmark's baseline and the raw reference of the tests).
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


{#- A quoted, comma-separated SQL list of the known event types (optionally of one family, or those needing a stream). -#}
{% macro live_event_types(family=none, needs_stream=none) -%}
    {%- set types = [] -%}
    {%- for event_type, rule in live_event_contract().items() -%}
        {%- if (family is none or rule.family == family) and (needs_stream is none or rule.needs_stream == needs_stream) -%}
            {%- do types.append("'" ~ event_type ~ "'") -%}
        {%- endif -%}
    {%- endfor -%}
    {{ types | join(', ') }}
{%- endmacro %}


{#
    The gate's row rules: the rules a raw row breaks on its own, in the order they are checked
    (the first it breaks is its reason). One entry per rule:

    reason      the reason code (none for the landing's read_error, which names its own)
    kind        how the rule is checked (live_rule_broken)
    event_type  the type it applies to (the property rules)
    fields      the properties it reads; value: the bound (at_most) or the allowed values (allowed)

    The rules across rows (duplicates, business keys, streams not started, late beyond the window)
    are the gate's later steps; those needing other events or the reference tables are decided in
    intermediate models (seeds/dq_reason_codes.csv names the model of every reason).
    tests/python/test_rules_agree.py holds the raw reference of the tests to the same list, in order.
#}
{% macro live_row_rules() %}
    {%- set rules = [
        {'kind': 'read_error', 'reason': none},
        {'kind': 'missing_event_id', 'reason': 'missing_event_id'},
        {'kind': 'unknown_event_type', 'reason': 'unknown_event_type'},
        {'kind': 'unparseable_event_at', 'reason': 'unparseable_event_at'},
        {'kind': 'unparseable_received_at', 'reason': 'unparseable_received_at'},
        {'kind': 'future_event_at', 'reason': 'future_event_at'},
        {'kind': 'missing_user_id', 'reason': 'missing_user_id'},
        {'kind': 'missing_stream_id', 'reason': 'missing_stream_id'},
        {'kind': 'properties_not_object', 'reason': 'properties_not_object'},
    ] -%}
    {%- set contract = live_event_contract() -%}
    {%- for event_type, rule in contract.items() if rule.required -%}
        {%- do rules.append({
            'kind': 'required', 'reason': 'missing_required_property', 'event_type': event_type,
            'fields': rule.required}) -%}
    {%- endfor -%}
    {%- for event_type, rule in contract.items() -%}
        {%- for field in rule.get('positive_int', []) -%}
            {%- do rules.append({
                'kind': 'whole_number', 'reason': 'invalid_property_value', 'event_type': event_type,
                'fields': [field]}) -%}
            {%- do rules.append({
                'kind': 'positive', 'reason': 'non_positive_quantity', 'event_type': event_type,
                'fields': [field]}) -%}
        {%- endfor -%}
        {%- for field in rule.get('non_negative', []) -%}
            {%- do rules.append({
                'kind': 'non_negative', 'reason': 'invalid_property_value', 'event_type': event_type,
                'fields': [field]}) -%}
        {%- endfor -%}
        {%- for field, bound in rule.get('at_most', {}).items() -%}
            {%- do rules.append({
                'kind': 'at_most', 'reason': 'implausible_value', 'event_type': event_type,
                'fields': [field], 'value': bound}) -%}
        {%- endfor -%}
        {%- for field, values in rule.get('allowed', {}).items() -%}
            {%- do rules.append({
                'kind': 'allowed', 'reason': 'invalid_property_value', 'event_type': event_type,
                'fields': [field], 'value': values}) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(rules) }}
{% endmacro %}


{#-
    Whether the row `row` (a relation alias of the gate's typed rows) breaks `rule` (live_row_rules).
    A property is read as the column property__<field> (live_rule_properties).
-#}
{% macro live_rule_broken(rule, row) -%}
    {%- set property = row ~ '.property__' ~ (rule.fields[0] if rule.fields is defined else '') -%}
    {%- set of_type = row ~ ".event_type = '" ~ rule.event_type ~ "'" if rule.event_type is defined else '' -%}
    {%- if rule.kind == 'read_error' -%}
        {{ row }}.read_error is not null
    {%- elif rule.kind == 'missing_event_id' -%}
        {{ row }}.event_id is null
    {%- elif rule.kind == 'unknown_event_type' -%}
        {{ row }}.event_type is null
                or {{ row }}.event_type not in ({{ live_event_types() }})
    {%- elif rule.kind == 'unparseable_event_at' -%}
        {{ row }}.event_at is null
    {%- elif rule.kind == 'unparseable_received_at' -%}
        {{ row }}.received_at is null
    {%- elif rule.kind == 'future_event_at' -%}
        {{ row }}.event_at > {{ dbt.dateadd('minute', 5, row ~ '.received_at') }}
    {%- elif rule.kind == 'missing_user_id' -%}
        {{ row }}.user_id is null
    {%- elif rule.kind == 'missing_stream_id' -%}
        {{ row }}.stream_id is null
                and {{ row }}.event_type in ({{ live_event_types(needs_stream=true) }})
    {%- elif rule.kind == 'properties_not_object' -%}
        not {{ row }}.is_properties_object
    {%- elif rule.kind == 'required' -%}
        {{ of_type }} and (
            {%- for field in rule.fields %}
                {{ row }}.property__{{ field }} is null
                {%- if not loop.last %} or {% endif %}
            {%- endfor %}
                    )
    {%- elif rule.kind == 'whole_number' -%}
        {{ of_type }}
                and {{ text_whole_number(property) }} is null
    {%- elif rule.kind == 'positive' -%}
        {{ of_type }}
                and {{ text_whole_number(property) }} < 1
    {%- elif rule.kind == 'non_negative' -%}
        {%- set as_number = try_cast(property, 'double') -%}
        {{ of_type }}
                and coalesce({{ as_number }} < 0 or not {{ is_finite(as_number) }}, true)
    {%- elif rule.kind == 'at_most' -%}
        {{ of_type }}
                and {{ try_cast(property, 'double') }} > {{ rule.value }}
    {%- elif rule.kind == 'allowed' -%}
        {{ of_type }}
                and {{ property }}
                not in ('{{ rule.value | join("', '") }}')
    {%- else -%}
        {{ exceptions.raise_compiler_error("live_rule_broken: no check for the rule kind " ~ rule.kind) }}
    {%- endif -%}
{%- endmacro %}


{#-
    The row's reason under the row rules (null when it breaks none): the first rule it breaks,
    in live_row_rules' order. `row` is the alias of the gate's typed rows.
-#}
{% macro live_row_reason(row) -%}
    case
        {%- for rule in live_row_rules() %}
            when {{ live_rule_broken(rule, row) }}
                then {{ "'" ~ rule.reason ~ "'" if rule.reason else row ~ '.read_error' }}
        {%- endfor %}
        end
{%- endmacro %}


{#-
    Every property a rule or a key reads, once: the gate extracts each of them once per row, as
    the column property__<field>.
-#}
{% macro live_rule_properties() %}
    {%- set fields = [] -%}
    {%- for event_type, rule in live_event_contract().items() -%}
        {%- for field in ([rule.business_key] if rule.business_key is defined and rule.business_key != 'stream_id' else [])
            + rule.get('required', []) + rule.get('positive_int', []) + rule.get('non_negative', [])
            + (rule.get('at_most', {}) | list) + (rule.get('allowed', {}) | list)
            + ([rule.links_by] if rule.links_by is defined else []) -%}
            {%- if field not in fields %}{% do fields.append(field) %}{% endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(fields) }}
{% endmacro %}


{#- The business id of a row (the contract's business_key: stream_id or a property), null for other types. -#}
{% macro live_business_key() -%}
    case event_type
        {%- for event_type, rule in live_event_contract().items() if rule.business_key is defined %}
            when '{{ event_type }}'
                then
                    {%- if rule.business_key == 'stream_id' %} stream_id
            {%- else %} property__{{ rule.business_key }}
            {%- endif %}
        {%- endfor %}
    end
{%- endmacro %}


{#- The id tying a row to events of the same id (the contract's links_by, as 'field:value'), else null. -#}
{% macro live_link_key() -%}
    case event_type
        {%- for event_type, rule in live_event_contract().items() if rule.links_by is defined %}
            when '{{ event_type }}' then '{{ rule.links_by }}:' || property__{{ rule.links_by }}
        {%- endfor %}
    end
{%- endmacro %}
