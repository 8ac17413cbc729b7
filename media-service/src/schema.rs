// @generated automatically by Diesel CLI.

diesel::table! {
    calendar_feeds (id) {
        id -> Uuid,
        user_id -> Uuid,
        name -> Text,
        token_hash -> Bytea,
        created_at -> Timestamptz,
        last_read_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    deleted_users_handled (id) {
        id -> Bool,
        last_sequence -> Int8,
    }
}

diesel::table! {
    episode_sources (media_item_id) {
        media_item_id -> Uuid,
        show_id -> Nullable<Text>,
        show_status -> Text,
        refreshed_at -> Nullable<Timestamptz>,
        refresh_due_at -> Timestamptz,
        fetching_until -> Nullable<Timestamptz>,
        failures -> Int4,
        last_failure -> Text,
    }
}

diesel::table! {
    episode_watches (id) {
        id -> Uuid,
        user_id -> Uuid,
        list_entry_id -> Uuid,
        episode_id -> Uuid,
        run -> Int4,
        watched_at -> Timestamptz,
    }
}

diesel::table! {
    episodes (id) {
        id -> Uuid,
        media_item_id -> Uuid,
        provider_id -> Text,
        season -> Int4,
        number -> Nullable<Int4>,
        special -> Bool,
        title -> Text,
        air_date -> Nullable<Date>,
        air_time -> Nullable<Timestamptz>,
        runtime_minutes -> Nullable<Int4>,
        airs_at -> Nullable<Timestamptz>,
        missing_upstream -> Bool,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    import_jobs (id) {
        id -> Uuid,
        user_id -> Uuid,
        file_name -> Text,
        format -> Text,
        conflict_policy -> Text,
        state -> Text,
        total_rows -> Int4,
        created_count -> Int4,
        updated_count -> Int4,
        unchanged_count -> Int4,
        skipped_count -> Int4,
        failed_count -> Int4,
        leased_until -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        finished_at -> Nullable<Timestamptz>,
        lease_holder -> Nullable<Uuid>,
        failed_attempts -> Int4,
        failure -> Text,
    }
}

diesel::table! {
    import_rows (import_job_id, row_number) {
        import_job_id -> Uuid,
        row_number -> Int4,
        line -> Int4,
        file -> Text,
        title -> Text,
        record -> Nullable<Jsonb>,
        outcome -> Nullable<Text>,
        message -> Text,
        list_entry_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    list_changes (user_id, seq) {
        user_id -> Uuid,
        seq -> Int8,
        kind -> Text,
        list_entry_id -> Uuid,
        media_item_id -> Uuid,
        entry -> Nullable<Jsonb>,
        runs_changed -> Bool,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    list_entries (id) {
        id -> Uuid,
        user_id -> Uuid,
        media_item_id -> Uuid,
        status -> Text,
        rating -> Nullable<Int2>,
        progress -> Int4,
        notes -> Text,
        start_date -> Nullable<Date>,
        finish_date -> Nullable<Date>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        completion_count -> Int4,
        file_item -> Nullable<Jsonb>,
        current_run -> Int4,
    }
}

diesel::table! {
    list_entry_runs (id) {
        id -> Uuid,
        list_entry_id -> Uuid,
        start_date -> Nullable<Date>,
        finish_date -> Nullable<Date>,
        origin -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    list_heads (user_id) {
        user_id -> Uuid,
        seq -> Int8,
        pruned_through -> Int8,
    }
}

diesel::table! {
    pending_episode_watches (list_entry_id, season, number, watched_at) {
        list_entry_id -> Uuid,
        user_id -> Uuid,
        season -> Int4,
        number -> Int4,
        watched_at -> Timestamptz,
    }
}

diesel::table! {
    provider_limits (name) {
        name -> Text,
        next_at -> Timestamptz,
    }
}

diesel::table! {
    removed_users (user_id) {
        user_id -> Uuid,
        removed_at -> Timestamptz,
    }
}

diesel::table! {
    media_items (id) {
        id -> Uuid,
        kind -> Text,
        source -> Text,
        external_id -> Nullable<Text>,
        title -> Text,
        year -> Nullable<Int4>,
        image_url -> Text,
        summary -> Text,
        total_units -> Nullable<Int4>,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        details_due_at -> Nullable<Timestamptz>,
        provider_check -> Text,
    }
}

diesel::table! {
    scrobble_events (id) {
        id -> Uuid,
        user_id -> Uuid,
        token_id -> Nullable<Uuid>,
        server -> Text,
        server_user -> Text,
        event -> Text,
        kind -> Text,
        title -> Text,
        series_title -> Text,
        year -> Nullable<Int4>,
        season -> Nullable<Int4>,
        episode -> Nullable<Int4>,
        last_episode -> Nullable<Int4>,
        ids -> Jsonb,
        item_key -> Text,
        watched_at -> Timestamptz,
        delivery_digest -> Bytea,
        outcome -> Text,
        reason -> Text,
        list_entry_id -> Nullable<Uuid>,
        media_item_id -> Nullable<Uuid>,
        received_at -> Timestamptz,
    }
}

diesel::table! {
    scrobble_pins (id) {
        id -> Uuid,
        user_id -> Uuid,
        server -> Text,
        show_key -> Text,
        server_season -> Nullable<Int4>,
        list_entry_id -> Uuid,
        season -> Int4,
        episode_offset -> Int4,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    scrobble_rates (user_id) {
        user_id -> Uuid,
        minute_started_at -> Timestamptz,
        deliveries -> Int4,
        hour_started_at -> Timestamptz,
        lookups -> Int4,
    }
}

diesel::table! {
    scrobble_tokens (id) {
        id -> Uuid,
        user_id -> Uuid,
        name -> Text,
        token_hash -> Bytea,
        server_user -> Nullable<Text>,
        created_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(episode_sources -> media_items (media_item_id));
diesel::joinable!(episode_watches -> episodes (episode_id));
diesel::joinable!(episode_watches -> list_entries (list_entry_id));
diesel::joinable!(episodes -> media_items (media_item_id));
diesel::joinable!(import_rows -> import_jobs (import_job_id));
diesel::joinable!(list_entries -> media_items (media_item_id));
diesel::joinable!(list_entry_runs -> list_entries (list_entry_id));
diesel::joinable!(scrobble_events -> list_entries (list_entry_id));
diesel::joinable!(scrobble_events -> scrobble_tokens (token_id));
diesel::joinable!(scrobble_pins -> list_entries (list_entry_id));

diesel::allow_tables_to_appear_in_same_query!(
    calendar_feeds,
    deleted_users_handled,
    episode_sources,
    episode_watches,
    episodes,
    import_jobs,
    import_rows,
    list_changes,
    list_entries,
    list_entry_runs,
    list_heads,
    media_items,
    pending_episode_watches,
    provider_limits,
    removed_users,
    scrobble_events,
    scrobble_pins,
    scrobble_rates,
    scrobble_tokens,
);
