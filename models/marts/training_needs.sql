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
with teachers as (
    select * from intermediate.int_recent_teachers
),

teacher_services as (
    select * from intermediate.int_recent_teacher_services
),

department as (
    select * from intermediate.int_department_service_use
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
    from teacher_services
    group by all
),

counted as (
    select
        school_teachers.school_uai,
        school_teachers.role,
        department.service,
        school_teachers.week_start,
        school_teachers.teachers,
        coalesce(school_users.teachers_using, 0) as teachers_using,
        department.teachers_using as department_teachers_using,
        department.teachers as department_teachers,
    from school_teachers
    cross join department
    left join school_users
        on
            school_teachers.school_uai = school_users.school_uai
            and department.service = school_users.service
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
