-- int_enrolled_user_weeks: one row per user enrolled in a school with a role during a week.
-- Grain: user × school × role × week. "Enrolled in a week" = a roster period overlapping it
-- (DESIGN.md §3); several classes or children collapse into one row.
-- Incremental by week_start: a run rebuilds only the weeks of its window (pipelines/incremental.py).
with enrolments as (
    select * from intermediate.int_enrolments
),

weeks as (
    select * from intermediate.int_weeks
    where week_start >= getvariable('recompute_start') and week_start < getvariable('recompute_end')
),

final as (
    select distinct
        enrolments.user_key,
        enrolments.school_uai,
        enrolments.role,
        weeks.week_start,
    from enrolments
    inner join weeks
        on
            enrolments.start_date <= weeks.week_start + 6
            and enrolments.end_date >= weeks.week_start
)

select * from final
