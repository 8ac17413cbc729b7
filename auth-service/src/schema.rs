// @generated automatically by Diesel CLI.

diesel::table! {
    deleted_users (sequence) {
        sequence -> Int8,
        user_id -> Uuid,
        deleted_at -> Timestamptz,
    }
}

diesel::table! {
    login_failures (email) {
        email -> Text,
        failures -> Int4,
        locked_until -> Nullable<Timestamptz>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Uuid,
        family_id -> Uuid,
        user_id -> Uuid,
        token_hash -> Bytea,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        superseded_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
        successor_sealed -> Nullable<Bytea>,
    }
}

diesel::table! {
    revocations (id) {
        id -> Int8,
        kind -> Text,
        subject -> Nullable<Uuid>,
        issued_before -> Nullable<Timestamptz>,
        expires_at -> Timestamptz,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    users (id) {
        id -> Uuid,
        email -> Text,
        display_name -> Text,
        password_hash -> Text,
        role -> Text,
        disabled -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(refresh_tokens -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    deleted_users,
    login_failures,
    refresh_tokens,
    revocations,
    users,
);
