{#
    Sums with a stable type: integer sums as bigint (DuckDB widens them to a
    128-bit integer) and money sums as decimal(38, 6), so marts keep the types
    their contracts declare. A money value per row is decimal(18, 6) (bounded:
    docs/contract/events.md §Money plus the contract's at_most bounds); its sums get the widest
    decimal, so no volume of rows can overflow them. Integer sums are of bounded
    counts (at most 10,000 per row), far inside bigint.
#}
{% macro sum_count(expression) -%}
    cast(sum({{ expression }}) as {{ dbt.type_bigint() }})
{%- endmacro %}

{% macro sum_usd(expression) -%}
    cast(sum({{ expression }}) as decimal(38, 6))
{%- endmacro %}
