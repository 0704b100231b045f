{#
    What was landed, one row per file: its key among the drops (received_date=.../part-0.csv.gz;
    the path itself for a single file), its drop, and what the file was when it was read
    (size, modification time, md5), with the number of records landed from it (parsed or
    rejected). The landing keeps this record with every landed row, in the same write
    (base_live__raw_events), so it cannot disagree with the rows; the next incremental
    build compares the files present with it (live_landing_plan, macros/raw_files.sql).
#}

with

landed as (

    select
        {{ live_file_key_sql('source_file') }} as source_file,
        drop_date,
        file_bytes,
        file_modified_at,
        file_md5
    from {{ ref('base_live__raw_events') }}

),

final as (

    select
        source_file,
        drop_date,
        cast(max(file_bytes) as {{ dbt.type_bigint() }}) as file_bytes,
        max(file_modified_at) as file_modified_at,
        max(file_md5) as file_md5,
        cast(count(*) as {{ dbt.type_bigint() }}) as record_count
    from landed
    group by source_file, drop_date

)

select
    source_file,
    drop_date,
    file_bytes,
    file_modified_at,
    file_md5,
    record_count
from final
