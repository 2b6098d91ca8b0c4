-- int_enrolments: one row per distinct membership of a user in a school, class and period.
-- Grain: user × school × role × class × discipline × child × period. Open-ended periods get
-- far-away bounds so that "enrolled on a day" is a plain range test downstream.
with roster as (
    select * from staging.stg_roster
),

final as (
    select distinct
        user_key,
        role,
        school_uai,
        class_id,
        discipline,
        child_key,
        coalesce(start_date, date '0001-01-01') as start_date,
        coalesce(end_date, date '9999-12-31') as end_date,
    from roster
)

select * from final
