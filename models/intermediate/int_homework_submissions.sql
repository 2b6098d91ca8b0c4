-- int_homework_submissions: one row per homework and expected pupil, with the pupil's status.
-- Grain: homework × pupil. Expected = a pupil of the homework's class enrolled on the due
-- date (DESIGN.md §3). Status from the pupil's first submit: on_time if at or before the
-- deadline, late after it; missing when none and the deadline has passed; pending before.
-- Times are hour-truncated (privacy rule 3), so "on time" means within the deadline's hour.
-- "Now" is the last hour present in the data, so that a re-run gives the same result.
with assignments as (
    select * from intermediate.int_homework_assignments
),

enrolments as (
    select * from intermediate.int_enrolments
    where role = 'eleve'
),

events as (
    select * from intermediate.int_events
),

expected_pupils as (
    select distinct
        assignments.school_uai,
        assignments.homework_id,
        assignments.class_id,
        assignments.due_at,
        enrolments.user_key,
    from assignments
    inner join enrolments
        on
            assignments.school_uai = enrolments.school_uai
            and assignments.class_id = enrolments.class_id
            and cast(assignments.due_at as date) between enrolments.start_date and enrolments.end_date
),

first_submissions as (
    select
        school_uai,
        object_id as homework_id,
        user_key,
        min(occurred_hour) as first_submitted_hour,
    from events
    where service = 'devoirs' and action = 'submit' and object_id is not null
    group by all
),

data_horizon as (
    select max(occurred_hour) as last_hour from events
),

final as (
    select
        expected_pupils.school_uai,
        expected_pupils.homework_id,
        expected_pupils.class_id,
        expected_pupils.due_at,
        expected_pupils.user_key,
        first_submissions.first_submitted_hour,
        case
            when first_submissions.first_submitted_hour <= expected_pupils.due_at then 'on_time'
            when first_submissions.first_submitted_hour is not null then 'late'
            when expected_pupils.due_at < data_horizon.last_hour then 'missing'
            else 'pending'
        end as status,
    from expected_pupils
    cross join data_horizon
    left join first_submissions
        on
            expected_pupils.school_uai = first_submissions.school_uai
            and expected_pupils.homework_id = first_submissions.homework_id
            and expected_pupils.user_key = first_submissions.user_key
)

select * from final
