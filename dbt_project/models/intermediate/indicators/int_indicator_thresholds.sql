-- Thresholds an LA's indicator value is judged against, one row per indicator x LA x period, in the unit of
-- the indicator's value. Today: the adoption scorecard's A1, A2 and A10 thresholds in days, exactly as
-- marts.adoption_scorecard applies them (the LA's own list from raw/reference/ or the bundled seed). A3's
-- threshold is a number of months that defines the percentage, not a target for it, so A3 has none here.
-- Add a union branch for any other indicator that gets a threshold.
with codes as (
    select * from (
        values
        ('A1', 'adoption_a1_days'),
        ('A2', 'adoption_a2_days'),
        ('A10', 'adoption_a10_days')
    ) as codes (scorecard_code, indicator_code)
)

select
    codes.indicator_code,
    scorecard.la_code,
    scorecard.period_end_year as time_period,
    cast(scorecard.threshold as double) as threshold,
    scorecard.threshold_verified,
    'Adoption scorecard threshold for ' || scorecard.period_label as threshold_source
from {{ ref('adoption_scorecard') }} as scorecard
inner join codes on scorecard.scorecard_code = codes.scorecard_code
where scorecard.threshold is not null
