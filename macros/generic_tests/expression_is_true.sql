{#
    Fails for every row where the boolean SQL expression is not true.
    Use on a model: `- expression_is_true: {arguments: {expression: "ended_at >= started_at"}}`.
#}
{% test expression_is_true(model, expression) %}

select *
from {{ model }}
where not coalesce({{ expression }}, false)

{% endtest %}
