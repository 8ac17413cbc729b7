use super::*;

fn file(name: &str, text: &str) -> archive::File<'static> {
    archive::File::text(name, text)
}

#[test]
fn gathers_history_episodes_ratings_and_the_watchlist() {
    let files = [
        file(
            "history-1.json",
            r#"[
          {"id": 101, "watched_at": "2020-01-02T20:00:00.000Z", "action": "watch", "type": "movie",
           "movie": {"title": "Inception", "year": 2010, "ids": {"trakt": 1, "imdb": "tt1375666", "tmdb": 27205}}},
          {"id": 102, "watched_at": "2021-05-02T20:00:00.000Z", "action": "scrobble", "type": "movie",
           "movie": {"title": "Inception", "year": 2010, "ids": {"trakt": 1, "imdb": "tt1375666"}}},
          {"id": 103, "watched_at": "2021-06-01T20:00:00.000Z", "type": "episode",
           "episode": {"season": 1, "number": 1, "title": "Pilot", "ids": {"trakt": null, "imdb": null}},
           "show": {"title": "Breaking Bad", "year": 2008, "ids": {"imdb": "tt0903747"}}},
          {"id": 104, "watched_at": "2021-06-02T20:00:00.000Z", "type": "episode",
           "episode": {"season": 1, "number": 2, "ids": {}},
           "show": {"title": "Breaking Bad", "year": 2008, "ids": {"imdb": "tt0903747"}}}
        ]"#,
        ),
        file(
            "ratings-movies.json",
            r#"[{"rated_at": "2020-01-03T00:00:00.000Z", "rating": 9, "type": "movie",
           "movie": {"title": "Inception", "year": 2010, "ids": {"imdb": "tt1375666"}}}]"#,
        ),
        file(
            "watchlist-movies.json",
            r#"[{"rank": 1, "id": 9, "listed_at": "2020-01-01T00:00:00.000Z", "type": "movie",
           "movie": {"title": "Obscure", "year": 1971, "ids": {"trakt": 5, "imdb": null}}}]"#,
        ),
        file("user-profile.json", r#"{"username": "someone"}"#),
    ];
    let rows = read(&files, &ReadLimits::rows(100)).unwrap();
    let titles: Vec<_> = rows.iter().map(|r| r.title.as_str()).collect();
    assert_eq!(titles, ["Inception", "Breaking Bad", "Obscure"]);
    let Parsed::Record(inception) = &rows[0].parsed else {
        panic!("{:?}", rows[0]);
    };
    assert_eq!(
        (inception.status, inception.rating),
        (ListStatus::Completed, Some(9))
    );
    assert_eq!(inception.runs.len(), 2);
    assert_eq!(inception.runs[1].origin, "trakt:history:102");
    let Parsed::Record(show) = &rows[1].parsed else {
        panic!("{:?}", rows[1]);
    };
    assert_eq!((show.status, show.progress), (ListStatus::InProgress, 2));
    assert_eq!(show.episode_watches.len(), 2);
    let Parsed::Record(obscure) = &rows[2].parsed else {
        panic!("{:?}", rows[2]);
    };
    assert!(matches!(obscure.target, Target::Search(_)));
    assert_eq!(obscure.status, ListStatus::Planned);
}

#[test]
fn episodes_keep_when_they_were_watched() {
    let history = file(
        "history-episodes.json",
        r#"[{"id": 7, "watched_at": "2021-06-01T20:00:00.000Z", "type": "episode",
           "episode": {"season": 1, "number": 3},
           "show": {"title": "Severance", "year": 2022, "ids": {"imdb": "tt11280740"}}}]"#,
    );
    let watched = file(
        "watched-shows.json",
        r#"[{"plays": 1, "last_watched_at": "2021-06-03T00:00:00.000Z",
           "show": {"title": "Severance", "year": 2022, "ids": {"imdb": "tt11280740"}},
           "seasons": [{"number": 1, "episodes": [
             {"number": 4, "plays": 1, "last_watched_at": "2021-06-02T10:00:00.000Z"}]}]}]"#,
    );
    let rows = read(&[history, watched], &ReadLimits::rows(10)).unwrap();
    let Parsed::Record(show) = &rows[0].parsed else {
        panic!("{:?}", rows[0]);
    };
    let watches: Vec<_> = show
        .episode_watches
        .iter()
        .map(|w| (w.season, w.number, w.watched_at.to_rfc3339()))
        .collect();
    assert_eq!(
        watches,
        [
            (1, 3, "2021-06-01T20:00:00+00:00".to_owned()),
            (1, 4, "2021-06-02T10:00:00+00:00".to_owned())
        ]
    );
}
