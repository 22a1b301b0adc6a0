-- One row per adoption (each episode ending with REC E11 or E12) of every LA whose SSDA903 returns are
-- loaded: the child's journey through the period of care that ends in the adoption. Definitions in the
-- contract's indicators.md; docs/adoption.md explains them.
-- Incremental by LA (macros/incremental_by_key.sql): an LA's journeys are computed from its own returns only,
-- so after one LA's new return only that LA's journeys are computed again.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=[
        "{{ incremental_fingerprint(adoption_journeys_inputs()) }}",
        "{{ incremental_pick_changed('la_code') }}",
        "{{ incremental_delete_changed('la_code') }}",
    ],
    post_hook=["{{ incremental_record_inputs(adoption_journeys_inputs()) }}"]
) }}
with episodes as (
    select * from {{ ref('int_ssda903_episodes_merged') }}
    where {{ incremental_keys_filter('la_code', 'la_code') }}
),

-- A period of care is a chain of episodes, each beginning on the day the previous one ended.
flagged as (
    select
        episodes.*,
        not exists (
            select 1
            from episodes as earlier
            where
                earlier.la_code = episodes.la_code
                and earlier.child_key = episodes.child_key
                and earlier.dec = episodes.decom
                and earlier.decom < episodes.decom
        ) as starts_period
    from episodes
),

numbered as (
    select
        *,
        sum(case when starts_period then 1 else 0 end) over (
            partition by la_code, child_key order by decom rows between unbounded preceding and current row
        ) as period_of_care_number
    from flagged
),

-- Same carers (DfE RNE codes): L legal status only, T placement changed, U legal status and placement changed.
-- New carers: S started to be looked after, P placement and carers changed, B legal status, placement and carers.
in_period as (
    select
        *,
        min(decom) over (partition by la_code, child_key, period_of_care_number) as period_start_date,
        lag(place) over (partition by la_code, child_key, period_of_care_number order by decom) as place_before
    from numbered
),

walks as (
    select
        *,
        -- The carer walk-back: the DECOM of the latest episode so far in the period that began with new carers
        -- (RNE not L, T or U), i.e. where stepping back from this episode over the same carers stops.
        max(case when rne is null or rne not in ('L', 'T', 'U') then decom end) over (
            partition by la_code, child_key, period_of_care_number
            order by decom rows between unbounded preceding and current row
        ) as carer_spell_start,
        -- The adopters walk-back: as above, but stepping back only while the episode before was also a placement
        -- for adoption, so it stops at the move-in with this family (an earlier placement with adopters that
        -- broke down ended with a new episode with new carers).
        max(
            case
                when
                    rne is null or rne not in ('L', 'T', 'U')
                    or place_before is null or place_before not in ('A3', 'A4', 'A5', 'A6', 'A1', 'A2')
                    then decom
            end
        ) over (
            partition by la_code, child_key, period_of_care_number
            order by decom rows between unbounded preceding and current row
        ) as adopters_spell_start
    from in_period
),

adoptions as (
    select
        la_code,
        child_key,
        period_of_care_number,
        decom as adoption_episode_decom,
        dec as adoption_date,
        rec as adoption_reason,
        adopters_spell_start as placed_date,
        source_file
    from walks
    where dec is not null and rec in ('E11', 'E12')
),

journeys as (
    select
        adoptions.la_code,
        adoptions.child_key,
        adoptions.adoption_date,
        any_value(adoptions.adoption_reason) as adoption_reason,
        any_value(adoptions.period_of_care_number) as period_of_care_number,
        any_value(adoptions.source_file) as source_file,
        any_value(adoptions.placed_date) as placed_date,
        min(episode.period_start_date) as entered_care_date,
        arg_min(episode.rne, episode.decom) = 'S' as entered_care_recorded,
        -- the placement with the adoptive family: the episode where the adopters walk-back stopped
        any_value(episode.place) filter (where episode.decom = adoptions.placed_date) as placement_type,
        any_value(
            coalesce(episode.carer_spell_start, episode.period_start_date)
        ) filter (where episode.decom = adoptions.placed_date) as carer_move_in_date,
        min(episode.decom) filter (where episode.ls in ('E1', 'D1')) as court_authority_date
    from adoptions
    inner join walks as episode
        on adoptions.la_code = episode.la_code
        and adoptions.child_key = episode.child_key
        and adoptions.period_of_care_number = episode.period_of_care_number
        and episode.decom <= adoptions.adoption_episode_decom
    group by adoptions.la_code, adoptions.child_key, adoptions.adoption_date
),

-- AD1 of the return for the year of the adoption (else the nearest year's); one row per return.
ad1 as (
    select
        *,
        row_number() over (
            partition by la_code, child_key, collection_year order by source_file desc, source_row_number desc
        ) as copy_number
    from {{ ref('stg_ssda903__ad1') }}
    where {{ incremental_keys_filter('la_code', 'la_code') }}
),

ad1_for_adoption as (
    select
        journeys.la_code,
        journeys.child_key,
        journeys.adoption_date,
        ad1.date_int,
        ad1.date_match,
        ad1.foster_care,
        row_number() over (
            partition by journeys.la_code, journeys.child_key, journeys.adoption_date
            order by
                abs(
                    ad1.collection_year
                    - (year(journeys.adoption_date) + case when month(journeys.adoption_date) >= 4 then 1 else 0 end)
                ),
                ad1.collection_year desc
        ) as pick
    from journeys
    inner join ad1
        on journeys.la_code = ad1.la_code and journeys.child_key = ad1.child_key and ad1.copy_number = 1
),

-- PlacedAdoption: the latest decision that the child should be placed for adoption within the period of care.
decisions as (
    select
        journeys.la_code,
        journeys.child_key,
        journeys.adoption_date,
        max(placed.date_placed) as date_placed
    from journeys
    inner join {{ ref('stg_ssda903__placed_adoption') }} as placed
        on journeys.la_code = placed.la_code
        and journeys.child_key = placed.child_key
        and placed.date_placed between journeys.entered_care_date and journeys.adoption_date
    group by journeys.la_code, journeys.child_key, journeys.adoption_date
),

assembled as (
    select
        journeys.*,
        coalesce(ad1.date_int, decisions.date_placed) as should_be_placed_date,
        ad1.date_match as matched_date,
        coalesce(ad1.foster_care = 1, journeys.placement_type in ('A3', 'A5'), false) as adopted_by_foster_carer
    from journeys
    left join ad1_for_adoption as ad1
        on journeys.la_code = ad1.la_code
        and journeys.child_key = ad1.child_key
        and journeys.adoption_date = ad1.adoption_date
        and ad1.pick = 1
    left join decisions
        on journeys.la_code = decisions.la_code
        and journeys.child_key = decisions.child_key
        and journeys.adoption_date = decisions.adoption_date
)

select
    child_key,
    la_code,
    adoption_date,
    entered_care_date,
    coalesce(entered_care_recorded, false) as entered_care_recorded,
    court_authority_date,
    should_be_placed_date,
    matched_date,
    placed_date,
    adopted_by_foster_carer,
    case when adopted_by_foster_carer then carer_move_in_date end as foster_carer_move_in_date,
    date_diff('day', entered_care_date, placed_date) as days_care_to_placed,
    case
        when court_authority_date is not null and matched_date is not null
            then greatest(date_diff('day', court_authority_date, matched_date), 0)
    end as days_authority_to_match,
    date_diff(
        'day', entered_care_date, case when adopted_by_foster_carer then carer_move_in_date else placed_date end
    ) as days_care_to_foster_move_in,
    cast(year(adoption_date) + case when month(adoption_date) >= 4 then 1 else 0 end as integer) as adoption_year,
    adoption_reason,
    placement_type,
    cast(period_of_care_number as integer) as period_of_care_number,
    source_file
from assembled
