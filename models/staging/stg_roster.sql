-- stg_roster: one row per valid membership row of a roster (annuaire) file.
-- Grain: roster file × row, i.e. user × school × class × period as delivered.
-- Privacy: user_id leaves as the same keyed pseudonym as in stg_events (rule 2).
-- Reads the temp view `landed_checked` opened by pipelines/ingestion.py for one file.
with landed as (
    select * from landed_checked
    where violation is null
),

final as (
    select
        pseudonym($source, user_id) as user_key,
        role,
        school_uai,
        class_id,
        discipline,
        cast(start_date as date) as start_date,
        cast(end_date as date) as end_date,
        $file_name as file_name,
        file_row,
    from landed
)

select * from final
