-- adoption_trends: one row per school, role and school week: the adoption rate against the
-- previous school week and against the same school week of the previous school year.
-- Computed at release time from the published adoption_weekly only (after suppression and
-- bands), so it discloses nothing the release does not: a hidden or banded rate gives a NULL
-- change, never an exact one. Holiday weeks are left out: "the previous week" of the first
-- week after the holidays is the last week before them.
with published as (
    select * from release.adoption_weekly
    where school_week_number is not null
),

ordered as (
    select
        school_uai,
        role,
        week_start,
        school_year,
        school_week_number,
        adoption_rate,
        lag(adoption_rate) over (partition by school_uai, role order by week_start) as previous_rate,
        concat(
            cast(left(school_year, 4) as integer) - 1, '-', left(school_year, 4)
        ) as previous_school_year,
    from published
),

final as (
    select
        ordered.school_uai,
        ordered.role,
        ordered.week_start,
        ordered.school_year,
        ordered.school_week_number,
        ordered.adoption_rate,
        ordered.previous_rate,
        ordered.adoption_rate - ordered.previous_rate as change,
        last_year.adoption_rate as last_year_rate,
        ordered.adoption_rate - last_year.adoption_rate as change_since_last_year,
    from ordered
    left join published as last_year
        on
            ordered.school_uai = last_year.school_uai
            and ordered.role = last_year.role
            and ordered.previous_school_year = last_year.school_year
            and ordered.school_week_number = last_year.school_week_number
)

select * from final
order by school_uai, role, week_start
