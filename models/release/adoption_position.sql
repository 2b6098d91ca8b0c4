-- adoption_position: one row per school, role and week: where the school's adoption rate
-- stands among the schools of the département (first quartile, median, third quartile).
-- A view across schools, so k = 10 (DESIGN.md §4 rule 5): a school contributes only when its
-- published rate covers at least k_department enrolled users, and the distribution is
-- published only when at least benchmark_min_schools schools contribute. Computed at release
-- time from the published adoption_weekly only, so it discloses nothing the release does not.
-- quartile = 1 (lowest quarter) to 4 (highest), NULL when the school's own rate is hidden.
with published as (
    select * from release.adoption_weekly
),

contributing as (
    select * from published
    where adoption_rate is not null and enrolled >= getvariable('k_department')
),

distribution as (
    select
        role,
        week_start,
        count(*) as schools,
        quantile_cont(adoption_rate, 0.25) as department_q1,
        quantile_cont(adoption_rate, 0.5) as department_median,
        quantile_cont(adoption_rate, 0.75) as department_q3,
    from contributing
    group by all
    having count(*) >= getvariable('benchmark_min_schools')
),

final as (
    select
        published.school_uai,
        published.role,
        published.week_start,
        published.adoption_rate,
        distribution.schools,
        distribution.department_q1,
        distribution.department_median,
        distribution.department_q3,
        case
            when published.adoption_rate is null then null
            when published.adoption_rate < distribution.department_q1 then 1
            when published.adoption_rate < distribution.department_median then 2
            when published.adoption_rate < distribution.department_q3 then 3
            else 4
        end as quartile,
    from published
    inner join distribution
        on
            published.role = distribution.role
            and published.week_start = distribution.week_start
)

select * from final
order by school_uai, role, week_start
