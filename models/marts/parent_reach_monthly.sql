-- parent_reach_monthly: one row per class of a school and calendar month.
-- pupils = pupils enrolled in the class on at least one day of the month (a pupil changing
-- class counts in both); pupils_with_parent = those of them whom the roster links to at least
-- one parent account (child_id); pupils_with_parent_active = those with a linked parent
-- active in the school that month, while enrolled there; reach = pupils_with_parent_active /
-- pupils. A parent of two pupils counts for each child's class. A roster without parent
-- links gives pupils_with_parent = 0: the reach is then unknown rather than nil, and the
-- dashboard says so. Population: pupils (below k the release suppresses the row).
-- Incremental by month_start: a run rebuilds only the months of its window (pipelines/incremental.py).
with enrolments as (
    select * from intermediate.int_enrolments
),

days as (
    select * from intermediate.int_user_service_days
    where occurred_on >= getvariable('recompute_start') and occurred_on < getvariable('recompute_end')
),

all_months as (
    select distinct cast(date_trunc('month', week_start) as date) as month_start
    from intermediate.int_weeks
    union
    select distinct cast(date_trunc('month', week_start + 6) as date) as month_start
    from intermediate.int_weeks
),

months as (
    select * from all_months
    where month_start >= getvariable('recompute_start') and month_start < getvariable('recompute_end')
),

pupil_months as (
    select distinct
        enrolments.school_uai,
        enrolments.class_id,
        months.month_start,
        enrolments.user_key as pupil_key,
    from enrolments
    inner join months
        on
            enrolments.start_date <= last_day(months.month_start)
            and enrolments.end_date >= months.month_start
    where enrolments.role = 'eleve' and enrolments.class_id is not null
),

parent_months as (
    select distinct
        enrolments.school_uai,
        enrolments.child_key as pupil_key,
        months.month_start,
        enrolments.user_key as parent_key,
        enrolments.start_date,
        enrolments.end_date,
    from enrolments
    inner join months
        on
            enrolments.start_date <= last_day(months.month_start)
            and enrolments.end_date >= months.month_start
    where enrolments.role = 'parent' and enrolments.child_key is not null
),

active_parent_months as (
    select distinct
        parent_months.school_uai,
        parent_months.pupil_key,
        parent_months.month_start,
    from parent_months
    inner join days
        on
            parent_months.parent_key = days.user_key
            and parent_months.school_uai = days.school_uai
            and days.occurred_on between parent_months.start_date and parent_months.end_date
            and cast(date_trunc('month', days.occurred_on) as date) = parent_months.month_start
),

linked_pupil_months as (
    select distinct
        school_uai,
        pupil_key,
        month_start,
    from parent_months
),

final as (
    select
        pupil_months.school_uai,
        pupil_months.class_id,
        pupil_months.month_start,
        count(*) as pupils,
        count(linked_pupil_months.pupil_key) as pupils_with_parent,
        count(active_parent_months.pupil_key) as pupils_with_parent_active,
        count(active_parent_months.pupil_key) / count(*) as reach,
    from pupil_months
    left join linked_pupil_months
        on
            pupil_months.school_uai = linked_pupil_months.school_uai
            and pupil_months.pupil_key = linked_pupil_months.pupil_key
            and pupil_months.month_start = linked_pupil_months.month_start
    left join active_parent_months
        on
            pupil_months.school_uai = active_parent_months.school_uai
            and pupil_months.pupil_key = active_parent_months.pupil_key
            and pupil_months.month_start = active_parent_months.month_start
    group by all
)

select * from final
order by school_uai, class_id, month_start
