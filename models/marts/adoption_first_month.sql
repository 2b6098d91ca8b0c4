-- adoption_first_month: one row per school and role: how the ENT was taken up in the first
-- month after the school's start date.
-- The start date is the school's first school week with any event; the first month is the
-- first four school weeks from it, holiday weeks skipped (weeks_observed < 4 while the data
-- does not reach that far yet). enrolled = users of that role enrolled in the school during
-- at least one of those weeks; active_once = those of them active there in at least one of
-- them; regular = active in at least three; active_share and regular_share divide by
-- enrolled (DESIGN.md §3). Population: enrolled (below k the release suppresses the row).
with school_weeks as (
    select * from intermediate.int_weeks
    where is_school_week
),

enrolled_user_weeks as (
    select * from intermediate.int_enrolled_user_weeks
),

active_user_weeks as (
    select distinct
        user_key,
        school_uai,
        week_start,
    from intermediate.int_user_service_days
),

school_starts as (
    select
        active_user_weeks.school_uai,
        min(active_user_weeks.week_start) as start_week,
    from active_user_weeks
    inner join school_weeks on active_user_weeks.week_start = school_weeks.week_start
    group by all
),

first_month_weeks as (
    select
        school_starts.school_uai,
        school_starts.start_week,
        school_weeks.week_start,
    from school_starts
    inner join school_weeks on school_starts.start_week <= school_weeks.week_start
    qualify row_number() over (partition by school_starts.school_uai order by school_weeks.week_start) <= 4
),

user_active_weeks as (
    select
        enrolled_user_weeks.school_uai,
        enrolled_user_weeks.role,
        enrolled_user_weeks.user_key,
        count(active_user_weeks.user_key) as active_weeks,
    from enrolled_user_weeks
    inner join first_month_weeks
        on
            enrolled_user_weeks.school_uai = first_month_weeks.school_uai
            and enrolled_user_weeks.week_start = first_month_weeks.week_start
    left join active_user_weeks
        on
            enrolled_user_weeks.user_key = active_user_weeks.user_key
            and enrolled_user_weeks.school_uai = active_user_weeks.school_uai
            and enrolled_user_weeks.week_start = active_user_weeks.week_start
    group by all
),

windows as (
    select
        school_uai,
        min(start_week) as start_week,
        cast(count(*) as integer) as weeks_observed,
    from first_month_weeks
    group by all
),

counted as (
    select
        school_uai,
        role,
        count(*) as enrolled,
        cast(count_if(active_weeks >= 1) as bigint) as active_once,
        cast(count_if(active_weeks >= 3) as bigint) as regular,
    from user_active_weeks
    group by all
),

final as (
    select
        counted.school_uai,
        counted.role,
        windows.start_week,
        windows.weeks_observed,
        counted.enrolled,
        counted.active_once,
        counted.regular,
        counted.active_once / counted.enrolled as active_share,
        counted.regular / counted.enrolled as regular_share,
    from counted
    inner join windows on counted.school_uai = windows.school_uai
)

select * from final
order by school_uai, role
