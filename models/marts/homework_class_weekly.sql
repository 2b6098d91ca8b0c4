-- homework_class_weekly: one row per school, class and ISO week of the homework's due date.
-- homework_count = homework to hand in online due that week; pupils = distinct pupils expected;
-- expected = expected submissions
-- (pupil × homework); on_time + late + missing + pending = expected; submission_rate =
-- (on_time + late) / expected; on_time_rate = on_time / expected.
-- Exact figures: the release suppresses them when fewer than k distinct pupils are expected,
-- bands extreme rates and audits them (DESIGN.md §4 rules 5-7, models/marts/_privacy.yml).
with assignments as (
    select
        *,
        cast(date_trunc('week', cast(due_at as date)) as date) as week_start,
    from intermediate.int_homework_assignments
),

submissions as (
    select * from intermediate.int_homework_submissions
),

assignment_counts as (
    select
        school_uai,
        class_id,
        week_start,
        count(*) as homework_count,
    from assignments
    group by all
),

submission_counts as (
    select
        assignments.school_uai,
        assignments.class_id,
        assignments.week_start,
        count(*) as expected,
        count(distinct submissions.user_key) as pupils,
        count_if(submissions.status = 'on_time') as on_time,
        count_if(submissions.status = 'late') as late,
        count_if(submissions.status = 'missing') as missing,
        count_if(submissions.status = 'pending') as pending,
    from assignments
    inner join submissions
        on
            assignments.school_uai = submissions.school_uai
            and assignments.homework_id = submissions.homework_id
    group by all
),

counted as (
    select
        assignment_counts.*,
        coalesce(submission_counts.expected, 0) as expected,
        coalesce(submission_counts.on_time, 0) as on_time,
        coalesce(submission_counts.late, 0) as late,
        coalesce(submission_counts.missing, 0) as missing,
        coalesce(submission_counts.pending, 0) as pending,
        coalesce(submission_counts.pupils, 0) as pupils,
    from assignment_counts
    left join submission_counts
        on
            assignment_counts.school_uai = submission_counts.school_uai
            and assignment_counts.class_id = submission_counts.class_id
            and assignment_counts.week_start = submission_counts.week_start
),

final as (
    select
        school_uai,
        class_id,
        week_start,
        cast(homework_count as bigint) as homework_count,
        cast(pupils as bigint) as pupils,
        cast(expected as bigint) as expected,
        cast(on_time as bigint) as on_time,
        cast(late as bigint) as late,
        cast(missing as bigint) as missing,
        cast(pending as bigint) as pending,
        (on_time + late) / nullif(expected, 0) as submission_rate,
        on_time / nullif(expected, 0) as on_time_rate,
    from counted
)

select * from final
order by school_uai, class_id, week_start
