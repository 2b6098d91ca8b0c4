-- int_class_teacher_weeks: one row per teacher of a class during a week.
-- Grain: school × class × teacher × week. A teacher of a class is a roster row of role
-- enseignant for that class whose period overlaps the week (several disciplines, one row).
-- Teachers are only ever counted by class, never shown one by one (DESIGN.md §4 rule 8).
-- Incremental by week_start: a run rebuilds only the weeks of its window (pipelines/incremental.py).
with class_weeks as (
    select * from intermediate.int_class_weeks
    where week_start >= getvariable('recompute_start') and week_start < getvariable('recompute_end')
),

teaching as (
    select * from intermediate.int_enrolments
    where role = 'enseignant' and class_id is not null
),

final as (
    select distinct
        class_weeks.school_uai,
        class_weeks.class_id,
        class_weeks.week_start,
        teaching.user_key,
    from class_weeks
    inner join teaching
        on
            class_weeks.school_uai = teaching.school_uai
            and class_weeks.class_id = teaching.class_id
            and teaching.start_date <= class_weeks.week_start + 6
            and class_weeks.week_start <= teaching.end_date
)

select * from final
