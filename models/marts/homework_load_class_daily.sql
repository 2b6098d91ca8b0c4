-- homework_load_class_daily: one row per class of a school and day on which homework is due.
-- homework_due = homework to hand in online due that day (all disciplines together);
-- disciplines = distinct disciplines among them; weekday = 1 (Monday) to 7, so that a
-- conseil de classe sees whether a class is overloaded on some day of the week. A homework
-- without a deadline is due on no day and is not counted. teachers = teachers of the class
-- that week, the row's population: teachers' practice is shown per class, never one by one
-- (DESIGN.md §4 rule 8). Summed over a week, homework_due gives homework_class_weekly's
-- homework_count.
with assignments as (
    select
        *,
        cast(due_at as date) as due_on,
        cast(date_trunc('week', cast(due_at as date)) as date) as week_start,
    from intermediate.int_homework_assignments
),

class_teachers as (
    select * from intermediate.int_class_teacher_weeks
),

teacher_counts as (
    select
        school_uai,
        class_id,
        week_start,
        count(*) as teachers,
    from class_teachers
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
        coalesce(teacher_counts.teachers, 0) as teachers,
        loads.homework_due,
        loads.disciplines,
    from loads
    left join teacher_counts
        on
            loads.school_uai = teacher_counts.school_uai
            and loads.class_id = teacher_counts.class_id
            and loads.week_start = teacher_counts.week_start
)

select * from final
order by school_uai, class_id, due_on
