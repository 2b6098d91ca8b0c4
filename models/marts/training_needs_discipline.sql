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
with weeks as (
    select * from intermediate.int_weeks
),

enrolments as (
    select * from intermediate.int_enrolments
    where role = 'enseignant'
),

teacher_weeks as (
    select * from intermediate.int_enrolled_user_weeks
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

school_weeks_back as (
    select
        week_start,
        row_number() over (order by week_start desc) as weeks_back,
    from weeks
    where is_school_week
),

as_of as (
    select week_start from school_weeks_back
    where weeks_back = 1
),

window_weeks as (
    select week_start from school_weeks_back
    where weeks_back <= 4
),

teachers as (
    select
        teacher_weeks.user_key,
        teacher_weeks.school_uai,
    from teacher_weeks
    inner join as_of on teacher_weeks.week_start = as_of.week_start
),

discipline_teachers as (
    select distinct
        enrolments.user_key,
        enrolments.discipline,
        enrolments.role,
        as_of.week_start,
    from enrolments
    inner join as_of
        on
            enrolments.start_date <= as_of.week_start + 6
            and enrolments.end_date >= as_of.week_start
    where enrolments.discipline is not null
),

teachers_using as (
    select distinct
        teachers.user_key,
        service_user_weeks.service,
    from teachers
    inner join service_user_weeks
        on
            teachers.user_key = service_user_weeks.user_key
            and teachers.school_uai = service_user_weeks.school_uai
    inner join window_weeks on service_user_weeks.week_start = window_weeks.week_start
),

services as (
    select unnest(getvariable('service_values')) as service
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

-- The département's share: every teacher enrolled in week_start, with a discipline or not.
department_teachers as (
    select count(distinct user_key) as teachers from teachers
),

department_users as (
    select
        service,
        count(*) as teachers_using,
    from teachers_using
    group by all
),

counted as (
    select
        discipline_counts.discipline,
        discipline_counts.role,
        services.service,
        discipline_counts.week_start,
        discipline_counts.teachers,
        coalesce(discipline_users.teachers_using, 0) as teachers_using,
        coalesce(department_users.teachers_using, 0) as department_teachers_using,
        department_teachers.teachers as department_teachers,
    from discipline_counts
    cross join services
    cross join department_teachers
    left join discipline_users
        on
            discipline_counts.discipline = discipline_users.discipline
            and services.service = discipline_users.service
    left join department_users on services.service = department_users.service
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
