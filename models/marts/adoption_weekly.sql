-- adoption_weekly: one row per school, role and ISO week.
-- enrolled = users enrolled in the school with that role during the week; active_users = those
-- of them with at least one event in that school that week; adoption_rate = active / enrolled.
-- Exact figures: the release suppresses, bands and audits them (DESIGN.md §4 rules 5-7) from
-- the declarations in models/marts/_privacy.yml (population: enrolled; audience: one school).
-- Each week carries its school year and school week number (NULL in the holidays), so that
-- trends compare school weeks (models/release/adoption_trends.sql).
with enrolled_user_weeks as (
    select * from intermediate.int_enrolled_user_weeks
),

active_user_weeks as (
    select distinct
        user_key,
        school_uai,
        week_start
    from intermediate.int_user_service_days
),

counted as (
    select
        enrolled_user_weeks.school_uai,
        enrolled_user_weeks.role,
        enrolled_user_weeks.week_start,
        count(*) as enrolled,
        count(active_user_weeks.user_key) as active_users,
    from enrolled_user_weeks
    left join active_user_weeks
        on
            enrolled_user_weeks.user_key = active_user_weeks.user_key
            and enrolled_user_weeks.school_uai = active_user_weeks.school_uai
            and enrolled_user_weeks.week_start = active_user_weeks.week_start
    group by all
),

weeks as (
    select * from intermediate.int_weeks
),

final as (
    select
        counted.school_uai,
        counted.role,
        counted.week_start,
        weeks.school_year,
        weeks.school_week_number,
        counted.enrolled,
        counted.active_users,
        counted.active_users / counted.enrolled as adoption_rate,
    from counted
    inner join weeks on counted.week_start = weeks.week_start
)

select * from final
order by school_uai, role, week_start
