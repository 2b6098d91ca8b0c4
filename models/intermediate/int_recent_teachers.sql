-- int_recent_teachers: one row per teacher enrolled in a school in the last school week with data.
-- Grain: teacher × school. week_start = that week (the "as of" week of the training needs);
-- a teacher of several schools has a row in each.
with weeks as (
    select * from intermediate.int_weeks
    where school_weeks_back = 1
),

teacher_weeks as (
    select * from intermediate.int_enrolled_user_weeks
    where role = 'enseignant'
),

final as (
    select
        teacher_weeks.user_key,
        teacher_weeks.school_uai,
        teacher_weeks.role,
        teacher_weeks.week_start,
    from teacher_weeks
    inner join weeks on teacher_weeks.week_start = weeks.week_start
)

select * from final
