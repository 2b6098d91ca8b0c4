-- int_homework_assignments: one row per homework to hand in online (a devoirs/create with a deadline).
-- Grain: school × homework (object_id). When a homework is posted again with a new deadline,
-- the latest deadline counts.
with homework_events as (
    select *
    from intermediate.int_events
    where
        service = 'devoirs'
        and action = 'create'
        and due_at is not null
        and object_id is not null
        and class_id is not null
),

final as (
    select
        school_uai,
        object_id as homework_id,
        arg_min(class_id, occurred_hour) as class_id,
        arg_min(discipline, occurred_hour) as discipline,
        min(occurred_hour) as assigned_hour,
        arg_max(due_at, occurred_hour) as due_at,
    from homework_events
    group by school_uai, object_id
)

select * from final
