{#
    Sums with a stable type: integer sums as bigint (DuckDB widens them to a
    128-bit integer) and money as decimal(18, 6), so marts keep the types their
    contracts declare.
#}
{% macro sum_count(expression) -%}
    cast(sum({{ expression }}) as {{ dbt.type_bigint() }})
{%- endmacro %}

{% macro sum_usd(expression) -%}
    cast(sum({{ expression }}) as decimal(18, 6))
{%- endmacro %}
