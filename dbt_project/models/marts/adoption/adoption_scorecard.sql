-- One row per LA x three-year period x scorecard indicator (A1, A2, A3, A10). The rows of an LA whose
-- SSDA903 returns are loaded are computed from its adoptions (every period its returns cover); the other
-- LAs' rows are the published figures from raw/adoption_scorecards/. Means are over all the children
-- adopted in the three years pooled, rounded half up (exact integer arithmetic, never banker's rounding).
{% set codes = ['A1', 'A2', 'A3', 'A10'] %}
with journeys as (
    select * from {{ ref('adoption_journeys') }}
),

periods as (
    select la_code, period_end_year from {{ ref('int_adoption_scorecard_periods') }}
),

published as (
    select * from {{ ref('int_adoption_scorecards_published') }}
    where geography_level = 'local_authority'
),

thresholds as (
    select period_end_year, scorecard_code, threshold, threshold_unit, verified
    from {{ ref('int_adoption_scorecard_thresholds') }}
),

-- A3 counts children placed within N calendar months of entering care, N the period's A3 threshold.
a3_months as (
    select
        periods.la_code,
        periods.period_end_year,
        thresholds.threshold as months
    from periods
    asof left join (
        select * from thresholds
        where scorecard_code = 'A3'
    ) as thresholds
        on periods.period_end_year >= thresholds.period_end_year
),

adopted_in_period as (
    select
        a3_months.la_code,
        a3_months.period_end_year,
        a3_months.months,
        journeys.*
    from a3_months
    inner join journeys
        on a3_months.la_code = journeys.la_code
        and journeys.adoption_date >= make_date(a3_months.period_end_year - 3, 4, 1)
        and journeys.adoption_date <= make_date(a3_months.period_end_year, 3, 31)
),

totals as (
    select
        la_code,
        period_end_year,
        count(*) as children,
        sum(days_care_to_placed) as a1_total,
        count(days_care_to_placed) as a1_count,
        sum(days_authority_to_match) as a2_total,
        count(days_authority_to_match) as a2_count,
        count(*) filter (where placed_date < entered_care_date + to_months(months)) as a3_total,
        count(*) filter (where months is not null) as a3_count,
        sum(days_care_to_foster_move_in) as a10_total,
        count(days_care_to_foster_move_in) as a10_count
    from adopted_in_period
    group by la_code, period_end_year
),

computed as (
    {% for code in codes %}
    select
        periods.la_code,
        periods.period_end_year,
        '{{ code }}' as scorecard_code,
        {% set c = code | lower %}
        {% if code == 'A3' %}
        -- percentage to one decimal, half up: tenths = floor((2 * 1000 * within + n) / (2 * n))
        floor((2000.0 * totals.a3_total + totals.a3_count) / nullif(2.0 * totals.a3_count, 0)) / 10.0 as value,
        {% else %}
        -- mean days, half up: floor((2 * total + n) / (2 * n))
        floor((2.0 * totals.{{ c }}_total + totals.{{ c }}_count) / nullif(2.0 * totals.{{ c }}_count, 0)) as value,
        {% endif %}
        coalesce({{ 'totals.a2_count' if code == 'A2' else 'totals.children' }}, 0) as children,
        cast(totals.{{ c }}_total as double) as numerator,
        cast(coalesce(totals.{{ c }}_count, 0) as double) as denominator,
        cast(null as varchar) as status_symbol,
        'ssda903' as source,
        'SSDA903 returns of ' || periods.la_code || ', ' || (periods.period_end_year - 2) || ' to '
        || periods.period_end_year as source_file
    from periods
    left join totals on periods.la_code = totals.la_code and periods.period_end_year = totals.period_end_year
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

published_only as (
    select
        published.la_code,
        published.period_end_year,
        published.scorecard_code,
        published.value,
        published.children,
        cast(null as double) as numerator,
        cast(published.children as double) as denominator,
        published.status_symbol,
        'published' as source,
        published.source_file
    from published
    where not exists (
        select 1 from computed
        where
            computed.la_code = published.la_code
            and computed.period_end_year = published.period_end_year
            and computed.scorecard_code = published.scorecard_code
    )
),

scorecard as (
    select * from computed
    union all
    select * from published_only
)

select
    scorecard.la_code,
    scorecard.period_end_year,
    cast(scorecard.period_end_year - 3 as varchar) || '-'
    || lpad(cast(scorecard.period_end_year % 100 as varchar), 2, '0') as period_label,
    scorecard.scorecard_code,
    cast(scorecard.value as double) as value,
    cast(scorecard.children as integer) as children,
    thresholds.threshold,
    case
        when scorecard.scorecard_code != 'A3' and scorecard.value is not null and thresholds.threshold is not null
            then scorecard.value <= thresholds.threshold
    end as meets_threshold,
    thresholds.threshold_unit,
    thresholds.verified as threshold_verified,
    scorecard.numerator,
    scorecard.denominator,
    scorecard.status_symbol,
    scorecard.source,
    same_published.value as published_value,
    scorecard.source_file
from scorecard
asof left join thresholds
    on scorecard.scorecard_code = thresholds.scorecard_code
    and scorecard.period_end_year >= thresholds.period_end_year
left join published as same_published
    on scorecard.source = 'ssda903'
    and scorecard.la_code = same_published.la_code
    and scorecard.period_end_year = same_published.period_end_year
    and scorecard.scorecard_code = same_published.scorecard_code
