-- training_needs_discipline: one row per discipline and service across the département, for the
-- teachers, as of the last school week (same week and four-school-week window as training_needs).
-- teachers = distinct teachers enrolled in week_start in at least one school with a roster row of
-- that discipline (a teacher of two disciplines counts in both; teachers without a discipline in
-- the roster count in no row); teachers_using = those of them with at least one event in that
-- service during the window in a school where they teach; share = teachers_using / teachers.
-- priority = how many more teachers of the discipline would have to use the service for it to
-- reach the share of all the département's teachers, 0 when it is there already.
-- Never per school: a discipline inside one school is often one teacher (DESIGN.md §4 rule 8);
-- a view across schools, k = k_department. Every service of the contract gets a row.
with teachers as (
    select * from intermediate.int_recent_teachers
),

teacher_services as (
    select * from intermediate.int_recent_teacher_services
),

department as (
    select * from intermediate.int_department_service_use
),

enrolments as (
    select * from intermediate.int_enrolments
    where role = 'enseignant' and discipline is not null
),

discipline_teachers as (
    select distinct
        teachers.user_key,
        enrolments.discipline,
        teachers.role,
        teachers.week_start,
    from teachers
    inner join enrolments
        on
            teachers.user_key = enrolments.user_key
            and teachers.school_uai = enrolments.school_uai
            and enrolments.start_date <= teachers.week_start + 6
            and teachers.week_start <= enrolments.end_date
),

teachers_using as (
    select distinct
        user_key,
        service,
    from teacher_services
),

discipline_counts as (
    select
        discipline,
        role,
        week_start,
        count(*) as teachers,
    from discipline_teachers
    group by all
),

discipline_users as (
    select
        discipline_teachers.discipline,
        teachers_using.service,
        count(*) as teachers_using,
    from discipline_teachers
    inner join teachers_using on discipline_teachers.user_key = teachers_using.user_key
    group by all
),

counted as (
    select
        discipline_counts.discipline,
        discipline_counts.role,
        department.service,
        discipline_counts.week_start,
        discipline_counts.teachers,
        coalesce(discipline_users.teachers_using, 0) as teachers_using,
        department.teachers_using as department_teachers_using,
        department.teachers as department_teachers,
    from discipline_counts
    cross join department
    left join discipline_users
        on
            discipline_counts.discipline = discipline_users.discipline
            and department.service = discipline_users.service
),

final as (
    select
        discipline,
        role,
        service,
        week_start,
        teachers,
        teachers_using,
        teachers_using / teachers as share,
        -- ceil(a / b) on non-negative integers is (a + b - 1) // b: no floating-point rounding.
        cast(greatest(
            0,
            (department_teachers_using * teachers + department_teachers - 1) // department_teachers
            - teachers_using
        ) as bigint) as priority,
    from counted
)

select * from final
order by discipline, role, service, week_start
