-- Case-audit percentages lie between 0 and 100 and agree with their numerator and denominator.
select *
from {{ ref('indicator_values') }}
where
    indicator_code like 'case_audit%_pct'
    and (
        value is null
        or value < 0
        or value > 100
        or numerator is null
        or denominator is null
        or denominator <= 0
        or numerator > denominator
        or abs(value - round(100.0 * numerator / denominator, 1)) > 1e-9
    )
