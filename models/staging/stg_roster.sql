-- stg_roster: one row per valid membership row of a roster (annuaire) file.
-- Grain: roster file × row, i.e. user × school × class × period as delivered.
-- Privacy: user_id and child_id leave as the same keyed pseudonyms as in stg_events (rule 2).
-- Reads the temp view `landed_checked` opened by pipelines/ingestion.py for one file.
-- Every row of the file goes through, valid or not: ingestion stores the valid ones here and
-- the others, by their verdict (violation, observed_value, file_line), in the quarantine.
with landed as (
    select * from landed_checked
),

final as (
    select
        pseudonym($source, user_id) as user_key,
        role,
        school_uai,
        class_id,
        discipline,
        try_cast(start_date as date) as start_date,
        try_cast(end_date as date) as end_date,
        -- Parents only: the child the row is about, under the same pseudonym as the child's own rows.
        case when role = 'parent' then pseudonym($source, child_id) end as child_key,
        file_name,
        file_row,
        file_line,
        violation,
        observed_value,
    from landed
)

select * from final
