-- cdt_class_weekly: one row per class of a school and ISO week during which it has pupils.
-- entries = cahier de textes entries (service cahier_de_textes, action create) for the class
-- that week, whoever posted them; disciplines_with_entries = distinct disciplines among them;
-- teachers = teachers of the class that week (roster); teachers_posting = those of them who
-- posted at least one entry. Holiday weeks stay, flagged by is_school_week, so that a
-- regularity measure can skip them (cdt_class_term). Teachers are counted per class, all
-- disciplines together, never one by one (DESIGN.md §4 rule 8); below k teachers the row is
-- suppressed by the release (models/marts/_privacy.yml).
-- Incremental by week_start: a run rebuilds only the weeks of its window (pipelines/incremental.py).
with class_weeks as (
    select * from intermediate.int_class_weeks
    where week_start >= getvariable('recompute_start') and week_start < getvariable('recompute_end')
),

class_teachers as (
    select * from intermediate.int_class_teacher_weeks
    where week_start >= getvariable('recompute_start') and week_start < getvariable('recompute_end')
),

entries as (
    select
        school_uai,
        class_id,
        week_start,
        user_key,
        discipline,
    from intermediate.int_events
    where
        service = 'cahier_de_textes' and action = 'create' and class_id is not null
        and week_start >= getvariable('recompute_start') and week_start < getvariable('recompute_end')
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

entry_counts as (
    select
        school_uai,
        class_id,
        week_start,
        count(*) as entries,
        count(distinct discipline) as disciplines_with_entries,
    from entries
    group by all
),

posting_teachers as (
    select
        class_teachers.school_uai,
        class_teachers.class_id,
        class_teachers.week_start,
        count(*) as teachers_posting,
    from class_teachers
    where
        exists (
            select 1
            from entries
            where
                entries.school_uai = class_teachers.school_uai
                and entries.class_id = class_teachers.class_id
                and entries.week_start = class_teachers.week_start
                and entries.user_key = class_teachers.user_key
        )
    group by all
),

final as (
    select
        class_weeks.school_uai,
        class_weeks.class_id,
        class_weeks.week_start,
        class_weeks.is_school_week,
        coalesce(teacher_counts.teachers, 0) as teachers,
        coalesce(posting_teachers.teachers_posting, 0) as teachers_posting,
        coalesce(entry_counts.entries, 0) as entries,
        coalesce(entry_counts.disciplines_with_entries, 0) as disciplines_with_entries,
    from class_weeks
    left join teacher_counts
        on
            class_weeks.school_uai = teacher_counts.school_uai
            and class_weeks.class_id = teacher_counts.class_id
            and class_weeks.week_start = teacher_counts.week_start
    left join posting_teachers
        on
            class_weeks.school_uai = posting_teachers.school_uai
            and class_weeks.class_id = posting_teachers.class_id
            and class_weeks.week_start = posting_teachers.week_start
    left join entry_counts
        on
            class_weeks.school_uai = entry_counts.school_uai
            and class_weeks.class_id = entry_counts.class_id
            and class_weeks.week_start = entry_counts.week_start
)

select * from final
order by school_uai, class_id, week_start
