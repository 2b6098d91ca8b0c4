-- int_file_balance: one row per event file loaded, with where each of its rows went.
-- Grain: landing file. rows_read = rows_loaded + rows_quarantined + rows_duplicate for every
-- file: loaded rows are events seen for the first time, duplicates were delivered before
-- (in an earlier file, or earlier in the same file). No personal data.
with file_loads as (
    select * from staging.file_loads
    where contract = 'events'
),

first_deliveries as (
    select
        file_name,
        count(*) as rows_loaded,
    from intermediate.int_events
    group by file_name
),

final as (
    select
        file_loads.delivered_on,
        file_loads.file_name,
        file_loads.rows_read,
        coalesce(first_deliveries.rows_loaded, 0) as rows_loaded,
        file_loads.rows_quarantined,
        file_loads.rows_loaded - coalesce(first_deliveries.rows_loaded, 0) as rows_duplicate,
        file_loads.error,
    from file_loads
    left join first_deliveries
        on file_loads.file_name = first_deliveries.file_name
)

select * from final
order by delivered_on, file_name
