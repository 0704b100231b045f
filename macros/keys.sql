{#- The key of a per-entity, per-day row: `<id>|<YYYY-MM-DD>` (e.g. creator_day_id, viewer_day_id). -#}
{% macro day_key(id_column, date_column) -%}
    {{ dbt.concat([id_column, "'|'", 'cast(' ~ date_column ~ ' as ' ~ dbt.type_string() ~ ')']) }}
{%- endmacro %}
