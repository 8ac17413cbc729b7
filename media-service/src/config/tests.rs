use super::*;

#[test]
fn defaults_follow_the_contract() {
    let config = Config::from_env(Env::from_vars([(
        "MEDIA_DATABASE_URL",
        "postgres://h/media",
    )]))
    .unwrap();
    assert_eq!(config.listen_addr.to_string(), "127.0.0.1:50052");
    assert_eq!(config.auth_service_url, "http://127.0.0.1:50051");
    assert_eq!(config.providers.jikan_base_url, "https://api.jikan.moe/v4");
    assert_eq!(config.providers.tvmaze_base_url, "https://api.tvmaze.com");
    assert_eq!(config.series.ended_every.as_secs(), 7 * 24 * 3600);
    assert!(config.providers.omdb_api_key.is_none());
}

#[test]
fn names_every_bad_variable() {
    let err = Config::from_env(Env::from_vars([
        ("MEDIA_LISTEN_ADDR", "x"),
        ("AUTH_SERVICE_URL", "ftp://nope"),
        ("RAWG_BASE_URL", "not a url"),
    ]))
    .unwrap_err()
    .to_string();
    for name in [
        "MEDIA_LISTEN_ADDR",
        "MEDIA_DATABASE_URL",
        "AUTH_SERVICE_URL",
        "RAWG_BASE_URL",
    ] {
        assert!(err.contains(name), "{name} missing from {err}");
    }
}
