//! A whole MyAnimeList export through the gateway as a browser sends it:
//! StartImport with a file over the ordinary request limit, then
//! WatchImport's stream over gRPC-Web to the end.

use base64::{Engine, engine::general_purpose::STANDARD};
use serde_json::json;

use crate::helpers::{Stack, buf_curl, buf_curl_stream};

const MEDIA: &str = "completionist.media.v1.MediaService";

/// A MyAnimeList export of `n` anime, each row padded with a long comment
/// so the file passes 4 MiB.
fn mal_export(n: usize) -> String {
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<myanimelist>\n");
    let comment = "a long comment, ".repeat(60);
    for id in 1..=n {
        xml.push_str(&format!(
            "<anime><series_animedb_id>{id}</series_animedb_id><series_title><![CDATA[Show {id}]]></series_title>\
             <series_episodes>12</series_episodes><my_watched_episodes>12</my_watched_episodes>\
             <my_score>8</my_score><my_status>Completed</my_status><my_times_watched>0</my_times_watched>\
             <my_comments><![CDATA[{comment}]]></my_comments></anime>\n"
        ));
    }
    xml.push_str("</myanimelist>\n");
    xml
}

#[tokio::test]
async fn a_large_import_is_started_and_watched_over_grpc_web() {
    let stack = Stack::spawn().await;
    let gw = stack.gateway.addr;
    let account = json!({"email": "importer@example.com", "password": "correct horse"});
    let mut register = account.clone();
    register["display_name"] = json!("Importer");
    buf_curl(
        gw,
        "completionist.auth.v1.AuthService/Register",
        register,
        None,
    )
    .await
    .unwrap();
    let login = buf_curl(gw, "completionist.auth.v1.AuthService/Login", account, None)
        .await
        .unwrap();
    let token = login["tokens"]["accessToken"].as_str().unwrap().to_owned();

    let file = mal_export(4000);
    assert!(
        file.len() > 4 << 20,
        "over the ordinary limit: {}",
        file.len()
    );
    let dir = std::env::temp_dir().join(format!("import-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let start = dir.join("start.json");
    let body = json!({"content": STANDARD.encode(&file), "fileName": "animelist.xml"});
    std::fs::write(&start, body.to_string()).unwrap();
    let started = buf_curl_stream(gw, &format!("{MEDIA}/StartImport"), &start, &token)
        .await
        .unwrap();
    let job = &started[0]["importJob"];
    assert_eq!(job["totalRows"], 4000, "{job}");
    assert_eq!(job["format"], "IMPORT_FORMAT_MYANIMELIST");

    let watch = dir.join("watch.json");
    std::fs::write(&watch, json!({"id": job["id"]}).to_string()).unwrap();
    let messages = buf_curl_stream(gw, &format!("{MEDIA}/WatchImport"), &watch, &token)
        .await
        .unwrap();
    let rows: Vec<_> = messages.iter().filter(|m| m.get("row").is_some()).collect();
    assert_eq!(rows.len(), 4000);
    assert!(
        rows.iter()
            .all(|r| r["row"]["outcome"] == "ROW_OUTCOME_CREATED")
    );
    let last = messages
        .iter()
        .rev()
        .find_map(|m| m.get("importJob"))
        .unwrap();
    assert_eq!(last["state"], "IMPORT_STATE_DONE");
    assert_eq!(last["createdCount"], 4000);
    std::fs::remove_dir_all(dir).unwrap();
}
