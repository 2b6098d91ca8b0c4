-- adoption_school_weekly: one row per school and ISO week, all roles together.
-- enrolled = distinct persons enrolled in the school during the week, whatever their role (a
-- person with two roles counts once); active_users = those of them with at least one event in
-- that school that week; adoption_rate = active / enrolled.
-- The total of adoption_weekly's roles (a union of persons, declared in _privacy.yml): published
-- beside them, it is why complementary suppression is needed (DESIGN.md §4 rule 6).
with enrolled_person_weeks as (
    select distinct
        user_key,
        school_uai,
        week_start
    from intermediate.int_enrolled_user_weeks
),

active_user_weeks as (
    select distinct
        user_key,
        school_uai,
        week_start
    from intermediate.int_user_service_days
),

counted as (
    select
        enrolled_person_weeks.school_uai,
        enrolled_person_weeks.week_start,
        count(*) as enrolled,
        count(active_user_weeks.user_key) as active_users,
    from enrolled_person_weeks
    left join active_user_weeks
        on
            enrolled_person_weeks.user_key = active_user_weeks.user_key
            and enrolled_person_weeks.school_uai = active_user_weeks.school_uai
            and enrolled_person_weeks.week_start = active_user_weeks.week_start
    group by all
),

final as (
    select
        school_uai,
        week_start,
        enrolled,
        active_users,
        active_users / enrolled as adoption_rate,
    from counted
)

select * from final
order by school_uai, week_start
