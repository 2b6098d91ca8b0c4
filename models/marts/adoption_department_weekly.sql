-- adoption_department_weekly: one row per role and ISO week, across every school of the département.
-- enrolled = distinct persons enrolled with that role in at least one school during the week (a
-- parent with children in two schools counts once); active_users = those of them active that
-- week in a school where they are enrolled with that role; adoption_rate = active / enrolled.
-- A view across schools and open data: k = k_department (DESIGN.md §4 rules 5 and 9); the union
-- of adoption_weekly's schools, declared in _privacy.yml for complementary suppression (rule 6).
-- Incremental by week_start: a run rebuilds only the weeks of its window (pipelines/incremental.py).
with user_weeks as (
    select * from intermediate.int_enrolled_active_user_weeks
    where week_start >= getvariable('recompute_start') and week_start < getvariable('recompute_end')
),

person_weeks as (
    select
        user_key,
        role,
        week_start,
        bool_or(is_active) as is_active,
    from user_weeks
    group by all
),

counted as (
    select
        role,
        week_start,
        count(*) as enrolled,
        count(*) filter (where is_active) as active_users,
    from person_weeks
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
