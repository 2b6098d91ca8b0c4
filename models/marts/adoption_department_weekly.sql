-- adoption_department_weekly: one row per role and ISO week, across every school of the département.
-- enrolled = distinct persons enrolled with that role in at least one school during the week (a
-- parent with children in two schools counts once); active_users = those of them active that
-- week in a school where they are enrolled with that role; adoption_rate = active / enrolled.
-- A view across schools and open data: k = k_department (DESIGN.md §4 rules 5 and 9); the union
-- of adoption_weekly's schools, declared in _privacy.yml for complementary suppression (rule 6).
with enrolled_user_weeks as (
    select * from intermediate.int_enrolled_user_weeks
),

active_user_weeks as (
    select distinct
        user_key,
        school_uai,
        week_start
    from intermediate.int_user_service_days
),

enrolled_person_weeks as (
    select distinct
        user_key,
        role,
        week_start
    from enrolled_user_weeks
),

active_person_weeks as (
    select distinct
        enrolled_user_weeks.user_key,
        enrolled_user_weeks.role,
        enrolled_user_weeks.week_start
    from enrolled_user_weeks
    inner join active_user_weeks
        on
            enrolled_user_weeks.user_key = active_user_weeks.user_key
            and enrolled_user_weeks.school_uai = active_user_weeks.school_uai
            and enrolled_user_weeks.week_start = active_user_weeks.week_start
),

counted as (
    select
        enrolled_person_weeks.role,
        enrolled_person_weeks.week_start,
        count(*) as enrolled,
        count(active_person_weeks.user_key) as active_users,
    from enrolled_person_weeks
    left join active_person_weeks
        on
            enrolled_person_weeks.user_key = active_person_weeks.user_key
            and enrolled_person_weeks.role = active_person_weeks.role
            and enrolled_person_weeks.week_start = active_person_weeks.week_start
    group by all
),

final as (
    select
        role,
        week_start,
        enrolled,
        active_users,
        active_users / enrolled as adoption_rate,
    from counted
)

select * from final
order by role, week_start
