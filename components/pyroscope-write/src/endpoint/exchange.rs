//! One HTTP exchange of an endpoint, behind a trait tests replace (§18: timelines run on a
//! paused clock against an in-process scripted sender).
//!
//! Decisions:
//! - The worker builds the request (URL, headers, shared body) and classifies the response; the
//!   exchange only sends it and reads at most [`RESPONSE_BODY_LIMIT`] bytes of the response
//!   body. A longer body is cut there and the response dropped, which discards the connection.
//! - The worker wraps the whole exchange in the attempt timeout; the exchange has none.

use bytes::{Bytes, BytesMut};
use ferroalloy_component::BoxFuture;
use ferroalloy_http_client::error::error_chain;
use ferroalloy_http_client::{HttpClient, RequestError};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode, Url};

/// The most response-body bytes read (§8.4).
pub const RESPONSE_BODY_LIMIT: usize = 64 * 1024;

/// A request an endpoint sends: always `POST`.
#[derive(Clone, Debug)]
pub struct ExchangeRequest {
    /// Full target URL (may carry userinfo; the HTTP client turns it into basic auth).
    pub url: Url,
    /// Headers of §8.3 steps 1–2 (the client adds authentication and `http_headers`).
    pub headers: HeaderMap,
    /// The body, shared with the queue item (never copied per endpoint).
    pub body: Bytes,
}

/// A response, with its body read up to [`RESPONSE_BODY_LIMIT`] bytes.
#[derive(Clone, Debug)]
pub struct ExchangeResponse {
    /// The status.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body read (at most [`RESPONSE_BODY_LIMIT`] bytes).
    pub body: Bytes,
    /// Whether `body` is the whole body (false when cut at the limit or when reading failed).
    pub complete: bool,
}

/// Why an exchange produced no response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExchangeError {
    /// Connect, TLS, proxy, I/O: retryable. The text is the cause without the URL.
    Transport(String),
    /// A credential file could not be read or an OAuth2 token not fetched: retryable. The text
    /// is the HTTP client's (e.g. `unable to read authorization credentials: …`).
    Credentials(String),
    /// The request could not be built (e.g. a secret value is not a valid header value): not
    /// retryable.
    Build(String),
}

/// Sends one request. Implemented over the endpoint's [`HttpClient`] by [`HttpExchange`]; tests
/// substitute scripted senders.
pub trait Exchange: Send + Sync + 'static {
    /// Send `request` and read the response.
    fn send(
        &self,
        request: ExchangeRequest,
    ) -> BoxFuture<'_, Result<ExchangeResponse, ExchangeError>>;
}

/// The real exchange: the endpoint's HTTP client (§8.3 steps 3–4 happen in
/// [`HttpClient::execute`]).
#[derive(Clone, Debug)]
pub struct HttpExchange {
    client: HttpClient,
}

impl HttpExchange {
    /// Send through `client`.
    pub fn new(client: HttpClient) -> Self {
        Self { client }
    }
}

impl Exchange for HttpExchange {
    fn send(
        &self,
        request: ExchangeRequest,
    ) -> BoxFuture<'_, Result<ExchangeResponse, ExchangeError>> {
        Box::pin(async move {
            let req = self
                .client
                .reqwest()
                .request(Method::POST, request.url)
                .headers(request.headers)
                .body(request.body)
                .build()
                .map_err(|e| {
                    ExchangeError::Build(format!("unable to build request: {}", e.without_url()))
                })?;
            let mut response = self.client.execute(req).await.map_err(map_request_error)?;
            let status = response.status();
            let headers = std::mem::take(response.headers_mut());
            let mut body = BytesMut::new();
            let mut complete = true;
            loop {
                match response.chunk().await {
                    Ok(Some(chunk)) => {
                        let room = RESPONSE_BODY_LIMIT - body.len();
                        if chunk.len() > room {
                            body.extend_from_slice(&chunk[..room]);
                            complete = false;
                            break;
                        }
                        body.extend_from_slice(&chunk);
                    }
                    Ok(None) => break,
                    Err(_) => {
                        complete = false;
                        break;
                    }
                }
            }
            Ok(ExchangeResponse {
                status,
                headers,
                body: body.freeze(),
                complete,
            })
        })
    }
}

fn map_request_error(err: RequestError) -> ExchangeError {
    match err {
        RequestError::Transport(e) => ExchangeError::Transport(error_chain(&e.without_url())),
        RequestError::InvalidHeaderValue(_) => ExchangeError::Build(err.to_string()),
        RequestError::ReadSecretFile { .. } | RequestError::OAuth2(_) => {
            ExchangeError::Credentials(err.to_string())
        }
    }
}
