-- data_quality_sources: one row per input contract (events, roster, workshops), delivered or not.
-- Grain: contract. How fresh and how whole each source is: files loaded and unreadable, the
-- last delivery day loaded (from the files' names; empty when none is dated), for the events
-- the last day an event occurred, and the rows read, loaded, quarantined and duplicated
-- (rows_read = rows_loaded + rows_quarantined + rows_duplicate), summed over
-- data_quality_files. A contract without any file loaded has a row of zeros.
-- Counts files and rows, never persons: audience none.
with files as (
    select * from marts.data_quality_files
),

events as (
    select * from intermediate.int_events
),

-- The three contracts of data_contracts/*.odcs.yaml; workshops are optional.
contracts as (
    select unnest(['events', 'roster', 'workshops']) as contract
),

file_totals as (
    select
        contract,
        count(*) as files,
        count_if(error is not null and error <> 'empty file') as files_unreadable,
        max(delivered_on) as last_delivered_on,
        sum(rows_read) as rows_read,
        sum(rows_loaded) as rows_loaded,
        sum(rows_quarantined) as rows_quarantined,
        sum(rows_duplicate) as rows_duplicate,
    from files
    group by contract
),

event_days as (
    select
        'events' as contract,
        max(occurred_on) as last_event_on,
    from events
),

final as (
    select
        contracts.contract,
        file_totals.last_delivered_on,
        event_days.last_event_on,
        cast(coalesce(file_totals.files, 0) as bigint) as files,
        cast(coalesce(file_totals.files_unreadable, 0) as bigint) as files_unreadable,
        cast(coalesce(file_totals.rows_read, 0) as bigint) as rows_read,
        cast(coalesce(file_totals.rows_loaded, 0) as bigint) as rows_loaded,
        cast(coalesce(file_totals.rows_quarantined, 0) as bigint) as rows_quarantined,
        cast(coalesce(file_totals.rows_duplicate, 0) as bigint) as rows_duplicate,
    from contracts
    left join file_totals on contracts.contract = file_totals.contract
    left join event_days on contracts.contract = event_days.contract
)

select * from final
order by contract
