-- data_quality_files: one row per landing file loaded, of every contract (events, roster,
-- workshops). Grain: contract × file (a file name is unique within a contract).
-- rows_read = rows_loaded + rows_quarantined + rows_duplicate for every file; `error` says why
-- a file could not be read at all (quarantined whole, 0 rows read) or that it was empty.
-- Duplicates exist for events only (an event delivered before counts once); a roster or
-- workshop row is loaded as delivered. delivered_on is the day a file's name starts with
-- (YYYY-MM-DD…); empty for a roster or workshop file named without a day.
-- Counts rows and files, never persons: audience none. No value of any row is published,
-- only file names (the ENT's delivery files), counts and the reader's error, which ingestion
-- already cuts before any quoted input (pipelines.ingestion.reader_error).
with event_files as (
    select * from intermediate.int_file_balance
),

file_loads as (
    select * from staging.file_loads
),

other_files as (
    select
        contract,
        coalesce(
            delivered_on,
            try_cast(regexp_extract(file_name, '^[^/]*/([0-9]{4}-[0-9]{2}-[0-9]{2})', 1) as date)
        ) as delivered_on,
        file_name,
        error,
        rows_read,
        rows_loaded,
        rows_quarantined,
        0 as rows_duplicate,
    from file_loads
    where contract <> 'events'
),

all_files as (
    select
        'events' as contract,
        delivered_on,
        file_name,
        error,
        rows_read,
        rows_loaded,
        rows_quarantined,
        rows_duplicate,
    from event_files
    union all
    select * from other_files
),

final as (
    select
        contract,
        delivered_on,
        file_name,
        error,
        cast(rows_read as bigint) as rows_read,
        cast(rows_loaded as bigint) as rows_loaded,
        cast(rows_quarantined as bigint) as rows_quarantined,
        cast(rows_duplicate as bigint) as rows_duplicate,
    from all_files
)

select * from final
order by contract, delivered_on, file_name
