//! Per-request authentication over a real loopback server (spec §5, §9; Acceptance §12 items
//! 1–5): what the server sees in `Authorization` and the extra headers, file secrets rotated
//! without a rebuild, and the exact texts of failed reads.

#[path = "support/alloy.rs"]
pub mod alloy;
#[path = "support/token_server.rs"]
pub mod token_server;

use alloy::{client, get, lit, send};
use reqwest::header::AUTHORIZATION;
use token_server::{Reply, ScriptedServer};

async fn server() -> ScriptedServer {
    ScriptedServer::always(Reply::ok()).await
}

fn last_authorization(server: &ScriptedServer) -> String {
    server
        .requests()
        .last()
        .map(|r| r.authorization().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn bearer_token_is_sent() {
    let server = server().await;
    let client = client(r#"bearer_token = "t1""#);
    assert_eq!(get(&client, &server.url("/")).await, Ok(200));
    assert_eq!(last_authorization(&server), "Bearer t1");
}

#[tokio::test]
async fn bearer_token_file_is_reread_when_it_changes() {
    let server = server().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let path = dir.path().join("token");
    std::fs::write(&path, "t1\n").unwrap_or_else(|e| panic!("write: {e}"));
    let client = client(&format!(
        "bearer_token_file = {}",
        lit(&path.display().to_string())
    ));

    assert_eq!(get(&client, &server.url("/")).await, Ok(200));
    assert_eq!(last_authorization(&server), "Bearer t1");

    // Rotation: the next request uses the new content, no rebuild.
    std::fs::write(&path, "t2").unwrap_or_else(|e| panic!("write: {e}"));
    assert_eq!(get(&client, &server.url("/")).await, Ok(200));
    assert_eq!(last_authorization(&server), "Bearer t2");

    // Rotation by rename, same length.
    let next = dir.path().join("token.next");
    std::fs::write(&next, "t3").unwrap_or_else(|e| panic!("write: {e}"));
    std::fs::rename(&next, &path).unwrap_or_else(|e| panic!("rename: {e}"));
    assert_eq!(get(&client, &server.url("/")).await, Ok(200));
    assert_eq!(last_authorization(&server), "Bearer t3");

    // A missing file fails that request only, without reaching the server.
    std::fs::remove_file(&path).unwrap_or_else(|e| panic!("remove: {e}"));
    let before = server.count();
    let err = get(&client, &server.url("/"))
        .await
        .err()
        .unwrap_or_default();
    let expected = format!(
        "unable to read authorization credentials: unable to read file {}: ",
        path.display()
    );
    assert!(err.starts_with(&expected), "{err}");
    assert!(err.contains("No such file or directory"), "{err}");
    assert_eq!(server.count(), before);

    // Restored: the next request succeeds.
    std::fs::write(&path, "t4").unwrap_or_else(|e| panic!("write: {e}"));
    assert_eq!(get(&client, &server.url("/")).await, Ok(200));
    assert_eq!(last_authorization(&server), "Bearer t4");
}

#[tokio::test]
async fn basic_auth_with_inline_password() {
    let server = server().await;
    let client = client(
        r#"basic_auth {
            username = "alice"
            password = "s3cret"
        }"#,
    );
    assert_eq!(get(&client, &server.url("/")).await, Ok(200));
    assert_eq!(last_authorization(&server), "Basic YWxpY2U6czNjcmV0");
}

#[tokio::test]
async fn basic_auth_with_password_file() {
    let server = server().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let path = dir.path().join("password");
    std::fs::write(&path, "  s3cret \n").unwrap_or_else(|e| panic!("write: {e}"));
    let client = client(&format!(
        r#"basic_auth {{
            username = "alice"
            password_file = {}
        }}"#,
        lit(&path.display().to_string())
    ));
    assert_eq!(get(&client, &server.url("/")).await, Ok(200));
    assert_eq!(last_authorization(&server), "Basic YWxpY2U6czNjcmV0");

    std::fs::write(&path, "other").unwrap_or_else(|e| panic!("write: {e}"));
    assert_eq!(get(&client, &server.url("/")).await, Ok(200));
    // base64("alice:other")
    assert_eq!(last_authorization(&server), "Basic YWxpY2U6b3RoZXI=");

    std::fs::remove_file(&path).unwrap_or_else(|e| panic!("remove: {e}"));
    let err = get(&client, &server.url("/"))
        .await
        .err()
        .unwrap_or_default();
    let expected = format!(
        "unable to read basic auth password: unable to read file {}: ",
        path.display()
    );
    assert!(err.starts_with(&expected), "{err}");
}

#[tokio::test]
async fn basic_auth_allows_empty_username_and_password() {
    let server = server().await;
    let client = client("basic_auth {}");
    assert_eq!(get(&client, &server.url("/")).await, Ok(200));
    // base64(":")
    assert_eq!(last_authorization(&server), "Basic Og==");
}

#[tokio::test]
async fn authorization_type_and_credentials() {
    let server = server().await;
    let token = client(
        r#"authorization {
            type = "Token"
            credentials = "x"
        }"#,
    );
    assert_eq!(get(&token, &server.url("/")).await, Ok(200));
    assert_eq!(last_authorization(&server), "Token x");

    let blank = client(
        r#"authorization {
            type = "  "
            credentials = "x"
        }"#,
    );
    assert_eq!(get(&blank, &server.url("/")).await, Ok(200));
    assert_eq!(last_authorization(&server), "Bearer x");

    let padded = client(
        r#"authorization {
            type = " DPoP "
            credentials = "x"
        }"#,
    );
    assert_eq!(get(&padded, &server.url("/")).await, Ok(200));
    assert_eq!(last_authorization(&server), "DPoP x");
}

#[tokio::test]
async fn authorization_with_credentials_file() {
    let server = server().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let path = dir.path().join("credentials");
    std::fs::write(&path, "\u{a0}c1\r\n").unwrap_or_else(|e| panic!("write: {e}"));
    let client = client(&format!(
        r#"authorization {{
            type = "Token"
            credentials_file = {}
        }}"#,
        lit(&path.display().to_string())
    ));
    // Unicode whitespace (here a no-break space) is trimmed too.
    assert_eq!(get(&client, &server.url("/")).await, Ok(200));
    assert_eq!(last_authorization(&server), "Token c1");

    std::fs::write(&path, "c2").unwrap_or_else(|e| panic!("write: {e}"));
    assert_eq!(get(&client, &server.url("/")).await, Ok(200));
    assert_eq!(last_authorization(&server), "Token c2");
}

#[tokio::test]
async fn a_relative_secret_file_resolves_against_the_working_directory() {
    let server = server().await;
    let dir = tempfile::tempdir_in(".").unwrap_or_else(|e| panic!("tempdir: {e}"));
    let path = dir.path().join("token");
    std::fs::write(&path, "rel").unwrap_or_else(|e| panic!("write: {e}"));
    let relative = path
        .strip_prefix(std::env::current_dir().unwrap_or_default())
        .map(|p| p.to_path_buf())
        .unwrap_or_else(|_| path.clone());
    let client = client(&format!(
        "bearer_token_file = {}",
        lit(&relative.display().to_string())
    ));
    assert_eq!(get(&client, &server.url("/")).await, Ok(200));
    assert_eq!(last_authorization(&server), "Bearer rel");
}

#[tokio::test]
async fn a_request_that_sets_authorization_keeps_it_over_static_methods() {
    let server = server().await;
    let bearer = client(r#"bearer_token = "t1""#);
    let builder = bearer
        .reqwest()
        .get(server.url("/"))
        .header(AUTHORIZATION, "Custom y");
    assert_eq!(send(&bearer, builder).await, Ok(200));
    assert_eq!(last_authorization(&server), "Custom y");

    let basic = client(r#"basic_auth { username = "u" }"#);
    let builder = basic
        .reqwest()
        .get(server.url("/"))
        .header(AUTHORIZATION, "Custom z");
    assert_eq!(send(&basic, builder).await, Ok(200));
    assert_eq!(last_authorization(&server), "Custom z");
}

#[tokio::test]
async fn url_userinfo_wins_over_static_methods_and_never_reaches_the_request_line() {
    let server = server().await;
    let client = client(r#"bearer_token = "t1""#);
    let url = format!("http://bob:pa%20ss@{}/path", server.addr());
    assert_eq!(get(&client, &url).await, Ok(200));
    let seen = server.requests();
    let last = seen.last().cloned();
    // base64("bob:pa ss")
    assert_eq!(
        last.as_ref().map(|r| r.authorization()),
        Some("Basic Ym9iOnBhIHNz")
    );
    assert_eq!(last.map(|r| r.path), Some("/path".to_owned()));
}

#[tokio::test]
async fn http_headers_send_every_value_in_list_order() {
    let server = server().await;
    let client = client(
        r#"bearer_token = "t1"
        http_headers = {
            "X-Tenant" = ["a", "b"],
            "x-api-key" = ["k1"],
            "Accept" = ["text/plain", "application/json"],
        }"#,
    );
    let builder = client
        .reqwest()
        .get(server.url("/"))
        .header("x-tenant", "from-caller");
    assert_eq!(send(&client, builder).await, Ok(200));
    let seen = server.requests();
    let last = seen.last().cloned().unwrap_or_else(|| panic!("no request"));
    // Appended after what the caller set, in list order.
    assert_eq!(last.header_all("x-tenant"), ["from-caller", "a", "b"]);
    assert_eq!(last.header_all("x-api-key"), ["k1"]);
    assert_eq!(
        last.header_all("accept"),
        ["text/plain", "application/json"]
    );
    assert_eq!(last.authorization(), "Bearer t1");
}

#[tokio::test]
async fn no_method_means_no_authorization_and_the_default_user_agent() {
    let server = server().await;
    let none = client("");
    assert_eq!(get(&none, &server.url("/")).await, Ok(200));
    assert_eq!(last_authorization(&server), "");
    let seen = server.requests();
    assert_eq!(
        seen.last()
            .and_then(|r| r.header("user-agent").map(str::to_owned)),
        Some(ferroalloy_http_client::USER_AGENT_VALUE.to_owned())
    );
}
