{#
    Incremental builds after the gate: each model recomputes only what the rows the gate decided since
    that model's last build can change (docs/operations.md, "What an incremental build does").

    The gate stamps every row it decides with the build's start (base_live__events.decided_at). Each
    scoped model records, after it is built, the newest decided_at it has taken in
    (live_scope_watermarks, one row per model). A build then works out its scope once:
      int_live__build_scope           decided_after: the oldest of the scoped models' records (null: a
                                      model has none, and everything is in scope); decided_up_to: the
                                      newest decided_at, which the models record after this build
      int_live__build_scope_streams   the streams with a row decided since, and the streams tied to them
                                      by a link_key (a refund in another stream than its gift)
      int_live__build_scope_days      the event days of those streams' rows and of the rows decided since
                                      (of the rows that are or were clean: not a duplicate delivery, a
                                      row rule's or a late_beyond_window quarantine, which never were)
    and each scoped model replaces its rows of that scope (the `live_scope` strategy below: delete them,
    insert the recomputed ones, in one transaction), by one of these kinds (config `live_scope`):
      stream      rows of the scope's streams (`live_scope_column`, default stream_id)
      days_from   rows dated (`live_scope_column`) from the first scope day minus
                  `live_scope_lookback_days` on (the daily rollups: retention flags look 7 days ahead)
      stream_or_days_from  either (fct_notifications: a join in another stream of the creator counts)
      event_row   rows of the scope's streams, and the rows without a stream decided since
    A model whose last build failed or was not selected keeps its old record, so the next build's scope
    reaches back to it: an interrupted build loses nothing. A full refresh recomputes everything.

    On Spark the scoped models are tables (rebuilt in full at every build).
#}

{#- When this build started: the gate stamps the rows it decides with it. -#}
{% macro live_build_started_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}


{#- How the scoped models are materialized: incremental where the engine deletes rows (DuckDB). -#}
{% macro live_scoped_materialization() -%}
    {{ return(adapter.dispatch('live_scoped_materialization', 'live_streaming')()) }}
{%- endmacro %}

{% macro default__live_scoped_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__live_scoped_materialization() -%}
    {{ return('table') }}
{%- endmacro %}


{#- The table of the scoped models' records, beside int_live__build_scope. -#}
{% macro live_scope_watermarks(scope_relation) -%}
    {{ return(api.Relation.create(
        database=scope_relation.database, schema=scope_relation.schema,
        identifier='live_scope_watermarks', type='table')) }}
{%- endmacro %}


{#-
    The records' table as this version writes it (with reference_fingerprint), or none: missing, or of an
    older layout.
-#}
{% macro live_scope_current_watermarks(watermarks) -%}
    {%- set existing = adapter.get_relation(watermarks.database, watermarks.schema, watermarks.identifier) -%}
    {%- if existing is not none
        and 'reference_fingerprint' in (adapter.get_columns_in_relation(existing) | map(attribute='name') | list) -%}
        {{ return(existing) }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}


{#-
    Pre-hook of int_live__build_scope: the records' table exists (an empty one on the first build; one
    of an older layout is dropped, and everything is then in scope).
-#}
{% macro live_scope_create_watermarks() -%}
    {%- if live_scoped_materialization() == 'incremental' -%}
        {%- set watermarks = live_scope_watermarks(this) -%}
        {%- if live_scope_current_watermarks(watermarks) is none -%}
            drop table if exists {{ watermarks }};
        {%- endif %}
        create table if not exists {{ watermarks }} (
            model_name {{ dbt.type_string() }},
            decided_up_to {{ dbt.type_timestamp() }},
            reference_fingerprint {{ dbt.type_string() }}
        )
    {%- endif -%}
{%- endmacro %}


{#- The scoped models of the project: incremental models with a `live_scope`. -#}
{% macro live_scoped_models() -%}
    {%- set names = [] -%}
    {%- if execute and live_scoped_materialization() == 'incremental' -%}
        {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.config.get('live_scope') -%}
            {%- do names.append(node.name) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(names | sort) }}
{%- endmacro %}


{#-
    int_live__build_scope's decided_after: the oldest record of the scoped models, null when one has
    none, or one was built on other reference tables than `fingerprint` (an SQL expression: a changed
    gift catalogue, coin price or campaign reaches rows of every day): then every row is in scope.
-#}
{% macro live_scope_decided_after(fingerprint) -%}
    {%- set models = live_scoped_models() -%}
    {%- set watermarks = live_scope_watermarks(this) -%}
    {%- if models and live_scope_current_watermarks(watermarks) is not none -%}
        (
            select
                case
                    when count(distinct recorded.model_name) = {{ models | length }}
                        and count(case when recorded.reference_fingerprint = {{ fingerprint }} then 1 end)
                        = count(*)
                        then min(recorded.decided_up_to)
                end
            from {{ watermarks }} as recorded
            where recorded.model_name in ('{{ models | join("', '") }}')
        )
    {%- else -%}
        cast(null as {{ dbt.type_timestamp() }})
    {%- endif -%}
{%- endmacro %}


{#-
    A fingerprint of the reference tables the scoped models read (gift catalogue, coin prices, ad
    campaigns, users): any change to a row changes it (DuckDB: the sum of the rows' hashes). On Spark
    the scoped models are tables, rebuilt in full: a constant.
-#}
{% macro live_reference_fingerprint(relations) -%}
    {{ return(adapter.dispatch('live_reference_fingerprint', 'live_streaming')(relations)) }}
{%- endmacro %}

{% macro default__live_reference_fingerprint(relations) -%}
    concat_ws('|'
        {%- for relation in relations %},
        (select cast(count(*) as varchar) || ':' || cast(coalesce(sum(hash(reference_rows)), 0) as varchar)
            from {{ relation }} as reference_rows)
        {%- endfor %}
    )
{%- endmacro %}

{% macro spark__live_reference_fingerprint(relations) -%}
    'spark'
{%- endmacro %}


{#- Post-hook of a scoped model: it has taken in every row decided up to the scope's decided_up_to. -#}
{% macro live_scope_record_watermark() -%}
    {%- if model.config.materialized == 'incremental' -%}
        {%- set scope = ref('int_live__build_scope') -%}
        {%- set watermarks = live_scope_watermarks(scope) -%}
        delete from {{ watermarks }} where model_name = '{{ this.identifier }}';
        insert into {{ watermarks }} (model_name, decided_up_to, reference_fingerprint)
        select '{{ this.identifier }}', decided_up_to, reference_fingerprint from {{ scope }}
    {%- endif -%}
{%- endmacro %}


{#-
    The config of a scoped model: kind (stream, days_from, event_row), the column it is scoped by and
    the look-back in days (days_from).
-#}
{% macro live_scoped_config(kind, column='stream_id', lookback_days=0) -%}
    {{ return({
        'materialized': live_scoped_materialization(),
        'incremental_strategy': 'live_scope',
        'live_scope': kind,
        'live_scope_column': column,
        'live_scope_lookback_days': lookback_days,
        'on_schema_change': 'fail',
        'post_hook': ["{{ live_scope_record_watermark() }}"],
    }) }}
{%- endmacro %}


{#-
    Whether a row is in this build's scope: a boolean SQL expression on `column` (or, for event_row,
    on stream_id and raw_row_number), `true` when the model is not built incrementally. Used in the
    models to read their inputs, and by the strategy to delete the rows it replaces.
-#}
{% macro live_in_scope(kind, column='stream_id', lookback_days=0, prefix='') -%}
    {%- if not is_incremental() and execute -%}
        {{ return('true') }}
    {%- endif -%}
    {#- parsing (execute false) records the dependencies; a unit test (not incremental) needs no input for them -#}
    {%- set relations = {
        'scope': ref('int_live__build_scope'),
        'streams': ref('int_live__build_scope_streams'),
        'days': ref('int_live__build_scope_days'),
        'gate': ref('base_live__events'),
    } -%}
    {{ return(live_scope_predicate(relations, kind, column, lookback_days, prefix)) }}
{%- endmacro %}


{#- The scope's predicate (live_in_scope) over the given scope relations. -#}
{% macro live_scope_predicate(relations, kind, column='stream_id', lookback_days=0, prefix='') -%}
    {%- set in_streams -%}
        {{ prefix }}stream_id in (select scope_streams.stream_id from {{ relations.streams }} as scope_streams)
    {%- endset -%}
    {%- set from_first_day -%}
        {{ prefix }}{{ column }} >= (
            select {{ dbt.dateadd('day', -1 * lookback_days, 'min(scope_days.scope_day)') }}
            from {{ relations.days }} as scope_days
        )
    {%- endset -%}
    {%- if kind == 'stream' -%}
        {{ prefix }}{{ column }} in (select scope_streams.stream_id from {{ relations.streams }} as scope_streams)
    {%- elif kind == 'days_from' -%}
        {{ from_first_day }}
    {%- elif kind == 'stream_or_days_from' -%}
        ({{ in_streams }} or {{ from_first_day }})
    {%- elif kind == 'event_row' -%}
        (
            {{ in_streams }}
            or ({{ prefix }}stream_id is null and {{ prefix }}raw_row_number in (
                select gate.raw_row_number
                from {{ relations.gate }} as gate
                where
                    gate.stream_id is null
                    and coalesce(
                        gate.decided_at > (select build_scope.decided_after from {{ relations.scope }} as build_scope),
                        true
                    )
            ))
        )
    {%- else -%}
        {{ exceptions.raise_compiler_error("live_scope_predicate: unknown kind " ~ kind) }}
    {%- endif -%}
{%- endmacro %}


{#-
    The data tests of an incremental build check the rows it recomputed (dbt's `where` on tests, set
    here for every test of these models; a test's own `where` still applies):
    - a scoped model: its scope (live_scope);
    - the gate: the rows this build decided (the newest decided_at);
    - a staging view of events: the events of the streams with a row this build decided, and those
      without a stream.
    A full build's scope is everything, so `make run` and `make test` test every row. `make daily` tests
    on a copy and publishes only a build whose tests passed, so a failure fails every run until fixed.
    To test every row after a plain incremental `dbt build`: dbt test --vars '{test_every_row: true}'.
-#}
{% macro default__get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set scope = live_streaming.live_test_scope() -%}
    {%- if where and scope -%}
        {%- set where = '(' ~ where ~ ') and ' ~ scope -%}
    {%- elif scope -%}
        {%- set where = scope -%}
    {%- endif -%}
    {%- if where -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- else -%}
        {{ return(relation) }}
    {%- endif -%}
{%- endmacro %}


{#- The scope predicate for the rows of the model a data test tests (default__get_where_subquery), or none. -#}
{% macro live_test_scope() -%}
    {%- set tested_id = model.get('attached_node') -%}
    {%- if not execute or not tested_id or var('test_every_row', false) or tested_id not in graph.nodes
        or live_scoped_materialization() != 'incremental' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set relations = {} -%}
    {%- for key, name in [('scope', 'int_live__build_scope'), ('streams', 'int_live__build_scope_streams'),
        ('days', 'int_live__build_scope_days'), ('gate', 'base_live__events')] -%}
        {%- do relations.update({key: graph.nodes['model.' ~ project_name ~ '.' ~ name].relation_name}) -%}
    {%- endfor -%}
    {%- set tested = graph.nodes[tested_id] -%}
    {%- set columns = tested.columns.keys() | list -%}
    {%- set decided_here -%}
        (select max(newest.decided_at) from {{ relations.gate }} as newest)
    {%- endset -%}
    {%- if tested.config.get('live_scope') -%}
        {{ return(live_scope_predicate(relations, tested.config.live_scope, tested.config.live_scope_column,
            tested.config.live_scope_lookback_days)) }}
    {%- elif tested.relation_name == relations.gate -%}
        {{ return('decided_at = ' ~ decided_here) }}
    {%- elif tested.config.materialized == 'view' and 'stream_id' in columns and 'event_id' in columns -%}
        {%- set streams_decided_here -%}
            (stream_id is null or stream_id in (
                select decided.stream_id from {{ relations.gate }} as decided
                where decided.decided_at = {{ decided_here }}
            ))
        {%- endset -%}
        {{ return(streams_decided_here) }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}


{#-
    Whether an event shares a link_key with a row of the scope's streams (a gift or refund of the same
    gift_txn_id, an impression or click, a notification or open): the rows a per-stream model reads
    from other streams to recompute its own. `true` when the model is not built incrementally.
-#}
{% macro live_in_linked_scope(column='event_id') -%}
    {%- if not is_incremental() and execute -%}
        {{ return('true') }}
    {%- endif -%}
    {%- set streams = ref('int_live__build_scope_streams') -%}
    {%- set gate = ref('base_live__events') -%}
    {{ column }} in (
        select linked.event_id
        from {{ gate }} as linked
        where linked.link_key in (
            select scoped.link_key
            from {{ gate }} as scoped
            where
                scoped.link_key is not null
                and scoped.stream_id in (select scope_streams.stream_id from {{ streams }} as scope_streams)
        )
    )
{%- endmacro %}


{#- The `live_scope` incremental strategy: delete the rows of the scope, insert the recomputed ones. -#}
{% macro get_incremental_live_scope_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }}
    where {{ live_in_scope(config.get('live_scope'), config.get('live_scope_column'),
        config.get('live_scope_lookback_days'), target ~ '.') }};
    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{%- endmacro %}
