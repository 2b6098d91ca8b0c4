-- adoption_school_weekly: one row per school and ISO week, all roles together.
-- enrolled = distinct persons enrolled in the school during the week, whatever their role (a
-- person with two roles counts once); active_users = those of them with at least one event in
-- that school that week; adoption_rate = active / enrolled.
-- The total of adoption_weekly's roles (a union of persons, declared in _privacy.yml): published
-- beside them, it is why complementary suppression is needed (DESIGN.md §4 rule 6).
-- Incremental by week_start: a run rebuilds only the weeks of its window (pipelines/incremental.py).
with user_weeks as (
    select * from intermediate.int_enrolled_active_user_weeks
    where week_start >= getvariable('recompute_start') and week_start < getvariable('recompute_end')
),

person_weeks as (
    select
        user_key,
        school_uai,
        week_start,
        bool_or(is_active) as is_active,
    from user_weeks
    group by all
),

counted as (
    select
        school_uai,
        week_start,
        count(*) as enrolled,
        count(*) filter (where is_active) as active_users,
    from person_weeks
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
