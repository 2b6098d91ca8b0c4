-- int_department_service_use: one row per service: the département's share of recent teachers
-- who used it during the last four school weeks.
-- Grain: service (every service of the contract). Each teacher counts once, whatever the
-- number of their schools. The reference the training priorities are measured against.
with teachers as (
    select * from intermediate.int_recent_teachers
),

teacher_services as (
    select * from intermediate.int_recent_teacher_services
),

services as (
    select unnest(getvariable('service_values')) as service
),

department_teachers as (
    select count(distinct user_key) as teachers from teachers
),

department_users as (
    select
        service,
        count(distinct user_key) as teachers_using,
    from teacher_services
    group by all
),

final as (
    select
        services.service,
        department_teachers.teachers,
        coalesce(department_users.teachers_using, 0) as teachers_using,
    from services
    cross join department_teachers
    left join department_users on services.service = department_users.service
)

select * from final
