-- service_usage_weekly: one row per school, role, service and ISO week.
-- enrolled = users enrolled in the school with that role during the week; users = those of
-- them active in that service there that week; reach = users / enrolled. Every service of
-- the contract gets a row, so that an unused service shows as 0 rather than disappearing.
-- Exact figures: the release suppresses, bands and audits them (DESIGN.md §4 rules 5-7) from
-- models/marts/_privacy.yml; enrolled is the same population as adoption_weekly's row.
-- Incremental by week_start: a run rebuilds only the weeks of its window (pipelines/incremental.py).
with enrolled_user_weeks as (
    select * from intermediate.int_enrolled_user_weeks
    where week_start >= getvariable('recompute_start') and week_start < getvariable('recompute_end')
),

service_user_weeks as (
    select distinct
        user_key,
        school_uai,
        service,
        week_start
    from intermediate.int_user_service_days
    where week_start >= getvariable('recompute_start') and week_start < getvariable('recompute_end')
),

enrolled_groups as (
    select
        school_uai,
        role,
        week_start,
        count(*) as enrolled,
    from enrolled_user_weeks
    group by all
),

service_users as (
    select
        enrolled_user_weeks.school_uai,
        enrolled_user_weeks.role,
        enrolled_user_weeks.week_start,
        service_user_weeks.service,
        count(*) as users,
    from enrolled_user_weeks
    inner join service_user_weeks
        on
            enrolled_user_weeks.user_key = service_user_weeks.user_key
            and enrolled_user_weeks.school_uai = service_user_weeks.school_uai
            and enrolled_user_weeks.week_start = service_user_weeks.week_start
    group by all
),

services as (
    select unnest(getvariable('service_values')) as service
),

flagged as (
    select
        enrolled_groups.school_uai,
        enrolled_groups.role,
        services.service,
        enrolled_groups.week_start,
        enrolled_groups.enrolled,
        coalesce(service_users.users, 0) as users,
    from enrolled_groups
    cross join services
    left join service_users
        on
            enrolled_groups.school_uai = service_users.school_uai
            and enrolled_groups.role = service_users.role
            and enrolled_groups.week_start = service_users.week_start
            and services.service = service_users.service
),

final as (
    select
        school_uai,
        role,
        service,
        week_start,
        enrolled,
        users,
        users / enrolled as reach,
    from flagged
)

select * from final
order by school_uai, role, service, week_start
