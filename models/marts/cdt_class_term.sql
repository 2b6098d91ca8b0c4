-- cdt_class_term: one row per class of a school, school year and term (T1, T2, T3).
-- Regularity of the cahier de textes: school_weeks = weeks of the term with school and pupils
-- in the class (holiday weeks excluded), weeks_with_entries = those with at least one entry
-- for the class, regularity = weeks_with_entries / school_weeks. teachers = distinct teachers
-- of the class during the term, the row's population (DESIGN.md §4 rule 8: per class, all
-- disciplines together; below k teachers the release suppresses the row).
with class_weeks as (
    select * from marts.cdt_class_weekly
),

weeks as (
    select * from intermediate.int_weeks
),

class_teachers as (
    select * from intermediate.int_class_teacher_weeks
),

term_weeks as (
    select
        class_weeks.school_uai,
        class_weeks.class_id,
        weeks.school_year,
        weeks.term,
        count(*) as school_weeks,
        cast(count_if(class_weeks.entries > 0) as bigint) as weeks_with_entries,
    from class_weeks
    inner join weeks on class_weeks.week_start = weeks.week_start
    where class_weeks.is_school_week
    group by all
),

term_teachers as (
    select
        class_teachers.school_uai,
        class_teachers.class_id,
        weeks.school_year,
        weeks.term,
        count(distinct class_teachers.user_key) as teachers,
    from class_teachers
    inner join weeks on class_teachers.week_start = weeks.week_start
    where weeks.is_school_week
    group by all
),

final as (
    select
        term_weeks.school_uai,
        term_weeks.class_id,
        term_weeks.school_year,
        term_weeks.term,
        coalesce(term_teachers.teachers, 0) as teachers,
        term_weeks.school_weeks,
        term_weeks.weeks_with_entries,
        term_weeks.weeks_with_entries / term_weeks.school_weeks as regularity,
    from term_weeks
    left join term_teachers
        on
            term_weeks.school_uai = term_teachers.school_uai
            and term_weeks.class_id = term_teachers.class_id
            and term_weeks.school_year = term_teachers.school_year
            and term_weeks.term = term_teachers.term
)

select * from final
order by school_uai, class_id, school_year, term
