-- homework_load_class_daily: one row per class of a school and day on which homework is due.
-- homework_due = homework to hand in online due that day (all disciplines together);
-- disciplines = distinct disciplines among them; weekday = 1 (Monday) to 7, so that a
-- conseil de classe sees whether a class is overloaded on some day of the week. A homework
-- without a deadline is due on no day and is not counted. pupils = distinct pupils expected
-- to hand in one of them, the row's population (below k the release suppresses the row).
-- Teachers' practice is shown per class, all disciplines together (DESIGN.md §4 rule 8).
-- Summed over a week, homework_due gives homework_class_weekly's homework_count.
with assignments as (
    select
        *,
        cast(due_at as date) as due_on,
        cast(date_trunc('week', cast(due_at as date)) as date) as week_start,
    from intermediate.int_homework_assignments
),

submissions as (
    select * from intermediate.int_homework_submissions
),

pupil_counts as (
    select
        submissions.school_uai,
        assignments.class_id,
        assignments.due_on,
        count(distinct submissions.user_key) as pupils,
    from submissions
    inner join assignments
        on
            submissions.school_uai = assignments.school_uai
            and submissions.homework_id = assignments.homework_id
    group by all
),

loads as (
    select
        school_uai,
        class_id,
        week_start,
        due_on,
        count(*) as homework_due,
        count(distinct discipline) as disciplines,
    from assignments
    group by all
),

final as (
    select
        loads.school_uai,
        loads.class_id,
        loads.week_start,
        loads.due_on,
        cast(isodow(loads.due_on) as integer) as weekday,
        coalesce(pupil_counts.pupils, 0) as pupils,
        loads.homework_due,
        loads.disciplines,
    from loads
    left join pupil_counts
        on
            loads.school_uai = pupil_counts.school_uai
            and loads.class_id = pupil_counts.class_id
            and loads.due_on = pupil_counts.due_on
)

select * from final
order by school_uai, class_id, due_on
