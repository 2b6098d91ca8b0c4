-- data_quality_rules: one row per contract, column and broken rule of the quarantined rows.
-- Grain: contract × column × rule (column '' for a rule on the whole record: a line the
-- reader could not split, a JSON line that is not an object; no key is ever NULL).
-- rows_quarantined counts the rows set aside for that rule, files the files they came from;
-- first_file_name and first_file_row / first_file_line point to the first one (earliest
-- delivery, then file, then position), so that the technical team can open it. A file
-- quarantined whole has no row here: data_quality_files.error tells it.
-- Counts rows, never persons: audience none. The observed values stay in the warehouse
-- (staging.quarantine): they could be personal data; the reader's detail on a line it could
-- not split is left out too, so that each kind of reader error is one rule.
with quarantine as (
    select * from staging.quarantine
),

files as (
    select * from marts.data_quality_files
),

quarantined_rows as (
    select
        quarantine.contract,
        coalesce(quarantine.column_name, '') as column_name,
        case
            when starts_with(quarantine.rule, 'unreadable line: ')
                then split_part(quarantine.rule, ' (', 1)
            else quarantine.rule
        end as rule,
        -- The roster's and workshops' day comes from their file name, as in data_quality_files.
        coalesce(quarantine.delivered_on, files.delivered_on) as delivered_on,
        quarantine.file_name,
        quarantine.file_row,
        quarantine.file_line,
    from quarantine
    left join files
        on quarantine.contract = files.contract and quarantine.file_name = files.file_name
    where quarantine.file_row is not null or quarantine.file_line is not null
),

rules as (
    select
        contract,
        column_name,
        rule,
        count(*) as rows_quarantined,
        count(distinct file_name) as files,
        arg_min(
            { 'file_name': file_name, 'file_row': file_row, 'file_line': file_line },
            {
                'delivered_on': delivered_on,
                'file_name': file_name,
                'position': coalesce(file_line, file_row)
            }
        ) as first_row,
        max(delivered_on) as last_delivered_on,
    from quarantined_rows
    group by contract, column_name, rule
),

final as (
    select
        rules.contract,
        rules.column_name,
        rules.rule,
        rules.first_row.file_name as first_file_name,
        rules.first_row.file_row as first_file_row,
        rules.first_row.file_line as first_file_line,
        rules.last_delivered_on,
        rules.rows_quarantined,
        rules.files,
    from rules
)

select * from final
order by contract, column_name, rule
