{#
    Seeds on Spark. dbt-spark's session method binds seed values into the SQL text without
    escaping them (a description with an apostrophe breaks the insert) and turns an empty cell
    into the string 'None'. This writes each value as an escaped literal, and an empty cell as
    null, as DuckDB loads it. dbt's load_csv_rows looks here first (dbt_project.yml, `dispatch`).
#}

{#- A Spark SQL literal for a seed value: null, or quoted text with ' and \ escaped. -#}
{% macro live_spark_seed_literal(value) -%}
    {%- if value is none or (value is string and value == '') -%}
        null
    {%- else -%}
        '{{ (value | string) | replace('\\', '\\\\') | replace("'", "\\'") }}'
    {%- endif -%}
{%- endmacro %}


{% macro spark__load_csv_rows(model, agate_table) -%}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set values = [] -%}
        {%- for row in chunk -%}
            {%- set cells = [] -%}
            {%- for col_name in agate_table.column_names -%}
                {%- set data_type = column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)) -%}
                {%- do cells.append('cast(' ~ live_spark_seed_literal(row[loop.index0]) ~ ' as ' ~ data_type ~ ')') -%}
            {%- endfor -%}
            {%- do values.append('(' ~ cells | join(', ') ~ ')') -%}
        {%- endfor -%}
        {%- set sql = 'insert into ' ~ this.render() ~ ' values ' ~ values | join(',\n') -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- do statements.append(sql) -%}
    {%- endfor -%}
    {{ return(statements[0] if statements else '') }}
{%- endmacro %}
