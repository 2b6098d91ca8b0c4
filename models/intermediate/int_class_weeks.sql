-- int_class_weeks: one row per class of a school and ISO week during which it has pupils.
-- Grain: school × class × week. A class exists in a week when a pupil's roster period for it
-- overlaps the week; the week carries its place in the school year (int_weeks), so that
-- class measures can skip holidays and be grouped by term.
-- Incremental by week_start: a run rebuilds only the weeks of its window (pipelines/incremental.py).
with enrolments as (
    select * from intermediate.int_enrolments
    where role = 'eleve' and class_id is not null
),

weeks as (
    select * from intermediate.int_weeks
    where week_start >= getvariable('recompute_start') and week_start < getvariable('recompute_end')
),

final as (
    select distinct
        enrolments.school_uai,
        enrolments.class_id,
        weeks.week_start,
        weeks.school_year,
        weeks.term,
        weeks.is_school_week,
    from enrolments
    inner join weeks
        on
            enrolments.start_date <= weeks.week_start + 6
            and enrolments.end_date >= weeks.week_start
)

select * from final
