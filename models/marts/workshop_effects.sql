-- workshop_effects: one row per school, service and week with a training workshop on that service
-- (several workshops of the week count as one; week_start is the workshop's week).
-- Before = the four school weeks before that week, after = the four school weeks after it (the
-- workshop's week excluded, holiday weeks skipped); weeks_before_available and
-- weeks_after_available say how many of them the data holds yet (0 to 4).
-- Treated: teachers = the school's teachers enrolled in the workshop's week; teachers_using_before
-- / _after = those of them with at least one event in that service in that school in the before /
-- after weeks; share_before / share_after divide by teachers. Control: the teachers enrolled that
-- week in the other schools of the département that had no workshop on that service from the start
-- of the before window to the end of the after window (to the end of the data while the after window
-- is incomplete), teachers of the treated school excluded; control_share_before / _after are their
-- shares, NULL when they are fewer than k_department (control_schools counts their schools).
-- effect = (share_after − share_before) − (control_share_after − control_share_before), a difference
-- in differences in points as a fraction (0.12 = +12 points), NULL until both windows are complete
-- and the control group reaches k. A view across schools: k = k_department (DESIGN.md §4 rule 5);
-- teachers is the teachers' row of adoption_weekly for that week.
with workshop_log as (
    select * from staging.stg_workshops
),

weeks as (
    select * from intermediate.int_weeks
),

enrolments as (
    select * from intermediate.int_enrolments
    where role = 'enseignant'
),

service_user_weeks as (
    select distinct
        user_key,
        school_uai,
        service,
        week_start,
    from intermediate.int_user_service_days
),

workshops as (
    select
        school_uai,
        service,
        cast(date_trunc('week', workshop_date) as date) as week_start,
        sum(attendees) as attendees,
    from workshop_log
    group by all
),

school_weeks as (
    select week_start from weeks
    where is_school_week
),

window_weeks as (
    select
        workshops.school_uai,
        workshops.service,
        workshops.week_start,
        'before' as period,
        school_weeks.week_start as window_week,
    from workshops
    inner join school_weeks on workshops.week_start > school_weeks.week_start
    qualify
        row_number() over (
            partition by workshops.school_uai, workshops.service, workshops.week_start
            order by school_weeks.week_start desc
        ) <= 4

    union all

    select
        workshops.school_uai,
        workshops.service,
        workshops.week_start,
        'after' as period,
        school_weeks.week_start as window_week,
    from workshops
    inner join school_weeks on workshops.week_start < school_weeks.week_start
    qualify
        row_number() over (
            partition by workshops.school_uai, workshops.service, workshops.week_start
            order by school_weeks.week_start
        ) <= 4
),

windows as (
    select
        workshops.school_uai,
        workshops.service,
        workshops.week_start,
        workshops.attendees,
        count_if(window_weeks.period = 'before') as weeks_before_available,
        count_if(window_weeks.period = 'after') as weeks_after_available,
        coalesce(
            min(window_weeks.window_week) filter (where window_weeks.period = 'before'), workshops.week_start
        ) as window_start,
        -- While the after window is incomplete, a later workshop may still fall in it.
        case
            when count_if(window_weeks.period = 'after') = 4
                then max(window_weeks.window_week) filter (where window_weeks.period = 'after')
            else date '9999-12-31'
        end as window_end,
    from workshops
    left join window_weeks
        on
            workshops.school_uai = window_weeks.school_uai
            and workshops.service = window_weeks.service
            and workshops.week_start = window_weeks.week_start
    group by workshops.school_uai, workshops.service, workshops.week_start, workshops.attendees
),

-- Every teacher of the département enrolled in a workshop's week, in each of their schools.
week_teachers as (
    select distinct
        windows.service,
        windows.week_start,
        enrolments.school_uai,
        enrolments.user_key,
    from windows
    inner join enrolments
        on
            windows.week_start + 6 >= enrolments.start_date
            and windows.week_start <= enrolments.end_date
),

treated_teachers as (
    select
        windows.school_uai,
        windows.service,
        windows.week_start,
        week_teachers.user_key,
    from windows
    inner join week_teachers
        on
            windows.service = week_teachers.service
            and windows.week_start = week_teachers.week_start
            and windows.school_uai = week_teachers.school_uai
),

control_teachers as (
    select
        windows.school_uai,
        windows.service,
        windows.week_start,
        week_teachers.school_uai as control_school_uai,
        week_teachers.user_key,
    from windows
    inner join week_teachers
        on
            windows.service = week_teachers.service
            and windows.week_start = week_teachers.week_start
            and windows.school_uai <> week_teachers.school_uai
    -- Schools trained on the same service around the same time are no comparison.
    anti join workshops as other_workshops
        on
            week_teachers.school_uai = other_workshops.school_uai
            and windows.service = other_workshops.service
            and other_workshops.week_start between windows.window_start and windows.window_end
    -- A teacher of the treated school who also teaches elsewhere is treated, not a control.
    anti join treated_teachers
        on
            windows.school_uai = treated_teachers.school_uai
            and windows.service = treated_teachers.service
            and windows.week_start = treated_teachers.week_start
            and week_teachers.user_key = treated_teachers.user_key
),

treated_use as (
    select
        treated_teachers.school_uai,
        treated_teachers.service,
        treated_teachers.week_start,
        window_weeks.period,
        count(distinct treated_teachers.user_key) as teachers_using,
    from treated_teachers
    inner join window_weeks
        on
            treated_teachers.school_uai = window_weeks.school_uai
            and treated_teachers.service = window_weeks.service
            and treated_teachers.week_start = window_weeks.week_start
    inner join service_user_weeks
        on
            treated_teachers.user_key = service_user_weeks.user_key
            and treated_teachers.school_uai = service_user_weeks.school_uai
            and treated_teachers.service = service_user_weeks.service
            and window_weeks.window_week = service_user_weeks.week_start
    group by all
),

control_use as (
    select
        control_teachers.school_uai,
        control_teachers.service,
        control_teachers.week_start,
        window_weeks.period,
        count(distinct control_teachers.user_key) as teachers_using,
    from control_teachers
    inner join window_weeks
        on
            control_teachers.school_uai = window_weeks.school_uai
            and control_teachers.service = window_weeks.service
            and control_teachers.week_start = window_weeks.week_start
    inner join service_user_weeks
        on
            control_teachers.user_key = service_user_weeks.user_key
            and control_teachers.control_school_uai = service_user_weeks.school_uai
            and control_teachers.service = service_user_weeks.service
            and window_weeks.window_week = service_user_weeks.week_start
    group by all
),

treated_counts as (
    select
        school_uai,
        service,
        week_start,
        count(distinct user_key) as teachers,
    from treated_teachers
    group by all
),

control_counts as (
    select
        school_uai,
        service,
        week_start,
        count(distinct user_key) as teachers,
        count(distinct control_school_uai) as schools,
    from control_teachers
    group by all
),

counted as (
    select
        windows.school_uai,
        windows.service,
        windows.week_start,
        windows.weeks_before_available,
        windows.weeks_after_available,
        windows.attendees,
        coalesce(treated_counts.teachers, 0) as teachers,
        coalesce(treated_before.teachers_using, 0) as teachers_using_before,
        coalesce(treated_after.teachers_using, 0) as teachers_using_after,
        coalesce(control_counts.schools, 0) as control_schools,
        coalesce(control_counts.teachers, 0) as control_teachers,
        coalesce(control_before.teachers_using, 0) as control_teachers_using_before,
        coalesce(control_after.teachers_using, 0) as control_teachers_using_after,
    from windows
    left join treated_counts
        on
            windows.school_uai = treated_counts.school_uai
            and windows.service = treated_counts.service
            and windows.week_start = treated_counts.week_start
    left join treated_use as treated_before
        on
            windows.school_uai = treated_before.school_uai
            and windows.service = treated_before.service
            and windows.week_start = treated_before.week_start
            and treated_before.period = 'before'
    left join treated_use as treated_after
        on
            windows.school_uai = treated_after.school_uai
            and windows.service = treated_after.service
            and windows.week_start = treated_after.week_start
            and treated_after.period = 'after'
    left join control_counts
        on
            windows.school_uai = control_counts.school_uai
            and windows.service = control_counts.service
            and windows.week_start = control_counts.week_start
    left join control_use as control_before
        on
            windows.school_uai = control_before.school_uai
            and windows.service = control_before.service
            and windows.week_start = control_before.week_start
            and control_before.period = 'before'
    left join control_use as control_after
        on
            windows.school_uai = control_after.school_uai
            and windows.service = control_after.service
            and windows.week_start = control_after.week_start
            and control_after.period = 'after'
),

shares as (
    select
        *,
        teachers_using_before / nullif(teachers, 0) as share_before,
        teachers_using_after / nullif(teachers, 0) as share_after,
        -- Below k the comparison group is not published: it would describe a few teachers.
        case
            when control_teachers >= getvariable('k_department')
                then control_teachers_using_before / control_teachers
        end as control_share_before,
        case
            when control_teachers >= getvariable('k_department')
                then control_teachers_using_after / control_teachers
        end as control_share_after,
    from counted
),

final as (
    select
        school_uai,
        'enseignant' as role,
        service,
        week_start,
        cast(weeks_before_available as integer) as weeks_before_available,
        cast(weeks_after_available as integer) as weeks_after_available,
        cast(control_schools as integer) as control_schools,
        cast(attendees as bigint) as attendees,
        teachers,
        teachers_using_before,
        teachers_using_after,
        share_before,
        share_after,
        control_share_before,
        control_share_after,
        case
            when weeks_before_available = 4 and weeks_after_available = 4
                then (share_after - share_before) - (control_share_after - control_share_before)
        end as effect,
    from shares
)

select * from final
order by school_uai, role, service, week_start
