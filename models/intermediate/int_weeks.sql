-- int_weeks: one row per ISO week (Monday) from the first to the last week with events.
-- Grain: week. Weeks without any event still appear, so that a quiet week shows as a drop.
-- A school week has at least one school day in the zone's calendar: a week entirely of
-- holidays is not one, and it counts neither in "weeks since start" nor in regularity.
-- school_week_number counts school weeks from the rentrée (1 = first school week of the
-- school year), so that the same weeks of two school years can be compared; school_weeks_back
-- counts them back from the last one with data (1 = the last), so that "the last four school
-- weeks" is a single test.
-- A week belongs to the school year of its Thursday (ISO convention): the week of the rentrée
-- starting on 31 August belongs to the new year. Outside the calendar's coverage every week
-- counts as a school week. Terms follow the usual trimesters of collèges: T1 from the
-- rentrée to December, T2 January to March, T3 April to the summer (by the week's Thursday).
with events as (
    select * from intermediate.int_events
),

calendar as (
    select * from staging.stg_school_calendar
),

bounds as (
    select
        min(week_start) as first_week,
        max(week_start) as last_week,
    from events
),

-- The series is unnested at the top of its own select, then cast: Spark (docs/spark.md)
-- accepts a generator only there, not inside a cast.
series as (
    select unnest(generate_series(first_week, last_week, interval 7 day)) as week_start,
    from bounds
    where first_week is not null
),

weeks as (
    select cast(week_start as date) as week_start,
    from series
),

calendar_weeks as (
    select
        week_start,
        count_if(is_school_day) as school_days,
        -- The school year of the week's Thursday: 2025-09-04 is in "2025-2026".
        year(week_start + 3) - (case when month(week_start + 3) < 9 then 1 else 0 end) as year_start,
    from calendar
    group by week_start
),

numbered_school_weeks as (
    select
        week_start,
        row_number() over (partition by year_start order by week_start) as school_week_number,
    from calendar_weeks
    where school_days > 0
),

final as (
    select
        weeks.week_start,
        concat(
            year(weeks.week_start + 3) - (case when month(weeks.week_start + 3) < 9 then 1 else 0 end),
            '-',
            year(weeks.week_start + 3) - (case when month(weeks.week_start + 3) < 9 then 1 else 0 end) + 1
        ) as school_year,
        case
            when month(weeks.week_start + 3) >= 9 then 'T1'
            when month(weeks.week_start + 3) <= 3 then 'T2'
            else 'T3'
        end as term,
        coalesce(calendar_weeks.school_days > 0, true) as is_school_week,
        cast(numbered_school_weeks.school_week_number as integer) as school_week_number,
    from weeks
    left join calendar_weeks on weeks.week_start = calendar_weeks.week_start
    left join numbered_school_weeks on weeks.week_start = numbered_school_weeks.week_start
),

counted_back as (
    select
        *,
        cast(case
            when is_school_week
                then row_number() over (partition by is_school_week order by week_start desc)
        end as integer) as school_weeks_back,
    from final
)

select * from counted_back
order by week_start
