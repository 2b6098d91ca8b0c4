-- training_needs: one row per school and service, for the teachers, as of the last school week.
-- week_start = the last school week with data (a week entirely of holidays is not one); the
-- window = the four last school weeks ending with it, holiday weeks skipped (so it may span
-- more than four calendar weeks, and events of the skipped weeks do not count).
-- teachers = teachers (role enseignant) enrolled in the school in week_start; teachers_using =
-- those of them with at least one event in that service in that school during the window;
-- share = teachers_using / teachers. priority = how many more of the school's teachers would
-- have to use the service for the school to reach the département's share (distinct teachers
-- of every school using it / distinct teachers), 0 when it is there already:
-- greatest(0, ceil(department share × teachers) − teachers_using), computed on integers.
-- Every service of the contract gets a row. Exact figures: the release suppresses, bands and
-- audits them (DESIGN.md §4 rules 5-7); teachers is the teachers' row of adoption_weekly.
with weeks as (
    select * from intermediate.int_weeks
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
        teacher_weeks.role,
        teacher_weeks.week_start,
    from teacher_weeks
    inner join as_of on teacher_weeks.week_start = as_of.week_start
),

teachers_using as (
    select distinct
        teachers.user_key,
        teachers.school_uai,
        service_user_weeks.service,
    from teachers
    inner join service_user_weeks
        on
            teachers.user_key = service_user_weeks.user_key
            and teachers.school_uai = service_user_weeks.school_uai
    inner join window_weeks on service_user_weeks.week_start = window_weeks.week_start
),

school_teachers as (
    select
        school_uai,
        role,
        week_start,
        count(*) as teachers,
    from teachers
    group by all
),

school_users as (
    select
        school_uai,
        service,
        count(*) as teachers_using,
    from teachers_using
    group by all
),

-- The département counts each teacher once, whatever the number of their schools.
department_teachers as (
    select count(distinct user_key) as teachers from teachers
),

department_users as (
    select
        service,
        count(distinct user_key) as teachers_using,
    from teachers_using
    group by all
),

services as (
    select unnest(getvariable('service_values')) as service
),

counted as (
    select
        school_teachers.school_uai,
        school_teachers.role,
        services.service,
        school_teachers.week_start,
        school_teachers.teachers,
        coalesce(school_users.teachers_using, 0) as teachers_using,
        coalesce(department_users.teachers_using, 0) as department_teachers_using,
        department_teachers.teachers as department_teachers,
    from school_teachers
    cross join services
    cross join department_teachers
    left join school_users
        on
            school_teachers.school_uai = school_users.school_uai
            and services.service = school_users.service
    left join department_users on services.service = department_users.service
),

final as (
    select
        school_uai,
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
order by school_uai, role, service, week_start
