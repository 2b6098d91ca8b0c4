-- int_recent_teacher_services: one row per recent teacher, school and service they used there
-- during the last four school weeks with data.
-- Grain: teacher × school × service. Holiday weeks are skipped (school_weeks_back is NULL for
-- them), so the window may span more than four calendar weeks, and events of the skipped
-- weeks count nowhere. The teachers are those of int_recent_teachers.
with teachers as (
    select * from intermediate.int_recent_teachers
),

window_weeks as (
    select * from intermediate.int_weeks
    where school_weeks_back <= 4
),

service_days as (
    select * from intermediate.int_user_service_days
),

final as (
    select distinct
        teachers.user_key,
        teachers.school_uai,
        service_days.service,
    from teachers
    inner join service_days
        on
            teachers.user_key = service_days.user_key
            and teachers.school_uai = service_days.school_uai
    inner join window_weeks on service_days.week_start = window_weeks.week_start
)

select * from final
