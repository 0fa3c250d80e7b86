//! Client settings written in Alloy syntax, decoded as the runtime decodes a host block, so the
//! tests configure the client the way a user does.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ferroalloy_http_client::{ClientOptions, HttpClient, HttpClientConfig};
use ferroalloy_syntax::SourceFile;
use ferroalloy_syntax::ast::Stmt;
use ferroalloy_syntax::parser::parse_file;
use ferroalloy_value::decode::decode_arguments;
use ferroalloy_value::eval::{Evaluator, Scope};

/// Decode `body` (the statements inside an `endpoint` block); the diagnostics' messages on
/// failure.
pub fn try_config(body: &str) -> Result<HttpClientConfig, Vec<String>> {
    let src = SourceFile::new("test.alloy", format!("endpoint {{\n{body}\n}}\n"));
    let (file, parse_diagnostics) = parse_file(&src);
    if parse_diagnostics.has_errors() {
        return Err(parse_diagnostics
            .iter()
            .map(|d| d.message.clone())
            .collect());
    }
    let Some(Stmt::Block(block)) = file.body.stmts.first() else {
        return Err(vec!["no block".to_owned()]);
    };
    let scope = Scope::new();
    decode_arguments::<HttpClientConfig>(block, &Evaluator::new(&src, &scope))
        .map_err(|diagnostics| diagnostics.into_iter().map(|d| d.message).collect())
}

/// Decode `body`, which must be valid.
pub fn config(body: &str) -> HttpClientConfig {
    try_config(body).unwrap_or_else(|errors| panic!("config {body:?} refused: {errors:?}"))
}

/// Build a client from `body` with default options.
pub fn client(body: &str) -> HttpClient {
    HttpClient::build(&config(body), &ClientOptions::default())
        .unwrap_or_else(|e| panic!("build from {body:?} failed: {e}"))
}

/// A string literal of the Alloy syntax holding `text` (paths, tokens).
pub fn lit(text: &str) -> String {
    format!("{text:?}")
}

/// `GET url` through `client`; the status, or the error text.
pub async fn get(client: &HttpClient, url: &str) -> Result<u16, String> {
    send(client, client.reqwest().get(url)).await
}

/// Send `builder`'s request through `client`; the status, or the error text.
pub async fn send(client: &HttpClient, builder: reqwest::RequestBuilder) -> Result<u16, String> {
    let request = builder.build().map_err(|e| e.to_string())?;
    client
        .execute(request)
        .await
        .map(|r| r.status().as_u16())
        .map_err(|e| e.to_string())
}
