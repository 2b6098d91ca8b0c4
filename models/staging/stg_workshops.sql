-- stg_workshops: one row per valid row of a workshop log (landing/workshops/*.csv).
-- Grain: workshop file × row, i.e. one training workshop held in a school on one ENT service.
-- No personal data: a date, a school, a service and a number of attendees, no names; any
-- other column of the file never gets here (rule 1).
-- Reads the temp view `landed_checked` opened by pipelines/ingestion.py for one file.
-- Every row of the file goes through, valid or not: ingestion stores the valid ones here and
-- the others, by their verdict (violation, observed_value, file_line), in the quarantine.
with landed as (
    select * from landed_checked
),

final as (
    select
        try_cast(workshop_date as date) as workshop_date,
        school_uai,
        service,
        try_cast(attendees as integer) as attendees,
        file_name,
        file_row,
        file_line,
        violation,
        observed_value,
    from landed
)

select * from final
