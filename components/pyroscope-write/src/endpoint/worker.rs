//! One worker of an endpoint (§10.4): take a batch, send it with retries (§11), record the
//! outcome, repeat.

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use ferroalloy_http_client::USER_AGENT_VALUE;
use reqwest::Url;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, USER_AGENT};
use tokio::time::Instant;

use super::backoff::Backoff;
use super::exchange::ExchangeRequest;
use super::metrics::Stage;
use super::response::{Failure, Outcome, classify_error, classify_response, timeout_failure};
use super::{DropReason, Payload, QueueItem, RequestType, Shared};

const CONNECT_PROTOCOL_VERSION: HeaderName = HeaderName::from_static("connect-protocol-version");
const CONNECT_TIMEOUT_MS: HeaderName = HeaderName::from_static("connect-timeout-ms");

/// The worker loop; ends when the queue is closed and empty, or on abort.
pub(super) async fn run(shared: Arc<Shared>) {
    let mut batch = Batch {
        shared: &shared,
        items: Vec::new(),
    };
    loop {
        if !take_batch(&shared, &mut batch.items).await {
            break;
        }
        let aborted = {
            let send = send_batch(&shared, &mut batch.items);
            tokio::select! {
                biased;
                () = shared.abort.cancelled() => true,
                () = send => false,
            }
        };
        if aborted {
            break;
        }
    }
}

/// The items a worker holds. Whatever is left when it is dropped (an abort, or the runtime
/// dropping the task) is counted as dropped with the drain reason.
struct Batch<'a> {
    shared: &'a Shared,
    items: Vec<Arc<QueueItem>>,
}

impl Drop for Batch<'_> {
    fn drop(&mut self) {
        let items = std::mem::take(&mut self.items);
        self.shared
            .drop_items(&items, self.shared.drain_reason(), true, None);
    }
}

/// Take the next batch (§10.4), waiting for a first item and, with `max_series_per_send > 1`,
/// for companions until `batch_send_deadline` after the first one's enqueue. `None` when the
/// queue is closed and empty, or on abort. Items are taken into `batch` (empty on entry), so a
/// dropped worker still accounts for them.
async fn take_batch(shared: &Shared, batch: &mut Vec<Arc<QueueItem>>) -> bool {
    let _filler = tokio::select! {
        biased;
        () = shared.abort.cancelled() => return false,
        guard = shared.filler.lock() => guard,
    };
    let max = shared.options.queue.max_series_per_send.max(1);
    loop {
        let notified = shared.notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let now = Instant::now();
        let mut expired = Vec::new();
        let mut taken = 0u64;
        let (done, closed) = {
            let mut q = shared.lock_queue();
            let mut done = false;
            while let Some(head) = q.items.front() {
                if shared.too_old(head, now) {
                    if let Some(item) = shared.pop_front(&mut q) {
                        expired.push(item);
                    }
                    continue;
                }
                match head.payload {
                    Payload::Ingest { .. } => {
                        if batch.is_empty()
                            && let Some(item) = shared.pop_front(&mut q)
                        {
                            taken += item.profiles;
                            batch.push(item);
                        }
                        done = true;
                        break;
                    }
                    Payload::Push { .. } => {
                        if let Some(item) = shared.pop_front(&mut q) {
                            taken += item.profiles;
                            batch.push(item);
                        }
                        if batch.len() >= max {
                            done = true;
                            break;
                        }
                    }
                }
            }
            (done, q.closed)
        };
        if taken > 0 {
            shared.lock_stats().in_flight_profiles += taken;
        }
        if !expired.is_empty() {
            shared.drop_items(&expired, DropReason::TooOld, false, None);
        }
        if let Some(first) = batch.first() {
            if done || max == 1 || closed {
                return true;
            }
            let deadline = first.enqueued_at + shared.options.queue.batch_send_deadline;
            if Instant::now() >= deadline {
                return true;
            }
            tokio::select! {
                biased;
                () = shared.abort.cancelled() => return true,
                () = shared.closing.cancelled() => {}
                () = &mut notified => {}
                () = tokio::time::sleep_until(deadline) => return true,
            }
        } else {
            if closed {
                return false;
            }
            tokio::select! {
                biased;
                () = shared.abort.cancelled() => return false,
                () = shared.closing.cancelled() => {}
                () = &mut notified => {}
            }
        }
    }
}

/// Decrements the in-flight request gauge and count however the request ends.
struct InFlight<'a>(&'a Shared);

impl<'a> InFlight<'a> {
    fn new(shared: &'a Shared) -> Self {
        shared.metrics.in_flight_requests.inc();
        shared.lock_stats().in_flight_requests += 1;
        Self(shared)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.metrics.in_flight_requests.dec();
        let mut st = self.0.lock_stats();
        st.in_flight_requests = st.in_flight_requests.saturating_sub(1);
    }
}

/// Send `batch` as one request, retrying per §11.2; every item leaves `batch` counted as sent
/// or dropped, except when the future is dropped (abort), where the caller drops what is left.
async fn send_batch(shared: &Shared, batch: &mut Vec<Arc<QueueItem>>) {
    let Some(kind) = batch.first().map(|i| i.request_type()) else {
        return;
    };
    let _in_flight = InFlight::new(shared);
    let opts = &shared.options;
    let mut backoff = Backoff::new(opts.min_backoff, opts.max_backoff);
    let mut attempts: u32 = 0;
    let mut body: Option<Bytes> = None;
    let mut first_attempt: Option<Instant> = None;
    loop {
        let now = Instant::now();
        let mut expired = Vec::new();
        batch.retain(|item| {
            if shared.too_old(item, now) {
                expired.push(Arc::clone(item));
                false
            } else {
                true
            }
        });
        if !expired.is_empty() {
            shared.drop_items(&expired, DropReason::TooOld, true, None);
            body = None;
        }
        if batch.is_empty() {
            break;
        }
        let body = body.get_or_insert_with(|| build_body(batch)).clone();
        attempts += 1;
        let started = Instant::now();
        if first_attempt.is_none() {
            first_attempt = Some(started);
            for item in batch.iter() {
                shared.metrics.observe_latency(
                    kind,
                    Stage::Queue,
                    started
                        .saturating_duration_since(item.enqueued_at)
                        .as_secs_f64(),
                );
            }
        }
        let outcome = attempt(shared, kind, batch, body).await;
        shared
            .metrics
            .observe_latency(kind, Stage::Downstream, started.elapsed().as_secs_f64());
        let failure = match outcome {
            Outcome::Success { status } => {
                shared.metrics.count_request(kind, &status);
                shared.count_sent(batch);
                batch.clear();
                break;
            }
            Outcome::Failure(failure) => failure,
        };
        shared.metrics.count_request(kind, &failure.status_label);
        tracing::debug!(
            endpoint = %opts.redacted_url,
            name = %opts.name,
            attempt = attempts,
            err = %failure.text,
            "attempt failed"
        );
        let budget = opts.max_backoff_retries;
        let final_reason = if !failure.retryable {
            Some((DropReason::Rejected, attempts - 1))
        } else if budget > 0 && attempts >= budget {
            Some((DropReason::RetriesExhausted, budget))
        } else {
            None
        };
        if let Some((reason, n)) = final_reason {
            fail(shared, kind, batch, reason, n, &failure);
            break;
        }
        let mut delay = backoff.next_delay();
        if let Some(wait) = failure.retry_after {
            delay = backoff.clamp(wait);
        }
        tokio::time::sleep(delay).await;
        shared.metrics.retries.inc();
        shared.lock_stats().retries += 1;
    }
    if let Some(first) = first_attempt {
        shared
            .metrics
            .observe_latency(kind, Stage::Endpoint, first.elapsed().as_secs_f64());
    }
}

/// The request finally failed: drop the batch with the final error text (§8.4, §9.3).
fn fail(
    shared: &Shared,
    kind: RequestType,
    batch: &mut Vec<Arc<QueueItem>>,
    reason: DropReason,
    retries: u32,
    failure: &Failure,
) {
    let verb = match kind {
        RequestType::Push => "push",
        RequestType::Ingest => "ingest",
    };
    let text = format!(
        "failed to {verb} to endpoint {} ({retries} retries): {}",
        shared.options.redacted_url, failure.text
    );
    let profiles: u64 = batch.iter().map(|i| i.profiles).sum();
    tracing::warn!(
        endpoint = %shared.options.redacted_url,
        name = %shared.options.name,
        err = %text,
        profiles,
        "request failed"
    );
    shared.lock_stats().consecutive_failures += 1;
    shared.drop_items(batch, reason, true, Some(text));
    batch.clear();
}

/// One frame as is; several concatenated once; an ingest body as is.
fn build_body(batch: &[Arc<QueueItem>]) -> Bytes {
    match batch {
        [one] => match &one.payload {
            Payload::Push { frame } => frame.clone(),
            Payload::Ingest { body, .. } => body.clone(),
        },
        many => {
            let len = many
                .iter()
                .map(|i| match &i.payload {
                    Payload::Push { frame } => frame.len(),
                    Payload::Ingest { body, .. } => body.len(),
                })
                .sum();
            let mut out = BytesMut::with_capacity(len);
            for item in many {
                if let Payload::Push { frame } = &item.payload {
                    out.extend_from_slice(frame);
                }
            }
            out.freeze()
        }
    }
}

/// One attempt, bounded by `remote_timeout` (and the drain deadline).
async fn attempt(
    shared: &Shared,
    kind: RequestType,
    batch: &[Arc<QueueItem>],
    body: Bytes,
) -> Outcome {
    let opts = &shared.options;
    let now = Instant::now();
    let limit = match shared.drain_deadline() {
        Some(deadline) => opts
            .remote_timeout
            .min(deadline.saturating_duration_since(now)),
        None => opts.remote_timeout,
    };
    let request = match build_request(shared, kind, batch, body, limit) {
        Ok(request) => request,
        Err(failure) => return Outcome::Failure(failure),
    };
    match tokio::time::timeout(limit, shared.exchange.send(request)).await {
        Err(_) => Outcome::Failure(timeout_failure(opts.remote_timeout)),
        Ok(Err(err)) => Outcome::Failure(classify_error(&err)),
        Ok(Ok(response)) => classify_response(kind, &response, opts.retry_on_http_429),
    }
}

/// The constant part of an endpoint's request headers, built once per endpoint.
pub(super) struct RequestHeaders {
    /// `headers` (§8.3 step 1), the start of every request's header map.
    base: HeaderMap,
    /// `base` then the push headers of §8.3 step 2 except `Connect-Timeout-Ms`.
    push: HeaderMap,
    /// `Connect-Timeout-Ms` for a full `remote_timeout`, `None` when it does not fit.
    remote_timeout_ms: Option<HeaderValue>,
}

impl RequestHeaders {
    /// Build the maps the way [`build_request`] fills them, in the same insertion order.
    pub(super) fn new(headers: &[(HeaderName, HeaderValue)], remote_timeout: Duration) -> Self {
        let mut base = HeaderMap::new();
        for (name, value) in headers {
            base.insert(name.clone(), value.clone());
        }
        let mut push = base.clone();
        push.insert(CONTENT_TYPE, HeaderValue::from_static("application/proto"));
        push.insert(CONNECT_PROTOCOL_VERSION, HeaderValue::from_static("1"));
        Self {
            base,
            push,
            remote_timeout_ms: timeout_ms_value(remote_timeout),
        }
    }
}

/// The `Connect-Timeout-Ms` value for `limit` (at most 10 digits), if any.
fn timeout_ms_value(limit: Duration) -> Option<HeaderValue> {
    let ms = limit.as_millis();
    if ms <= 9_999_999_999 {
        HeaderValue::from_str(&ms.to_string()).ok()
    } else {
        None
    }
}

/// §8.2–§8.3 steps 1–2 (push) and §9.2 (ingest).
fn build_request(
    shared: &Shared,
    kind: RequestType,
    batch: &[Arc<QueueItem>],
    body: Bytes,
    limit: Duration,
) -> Result<ExchangeRequest, Failure> {
    let opts = &shared.options;
    let prebuilt = &shared.headers;
    let (mut headers, url) = match (kind, batch.first().map(|i| &i.payload)) {
        (
            RequestType::Ingest,
            Some(Payload::Ingest {
                content_types,
                path,
                query,
                ..
            }),
        ) => {
            let mut headers = prebuilt.base.clone();
            let mut first = true;
            for ct in content_types {
                let value = HeaderValue::from_str(ct).map_err(|_| Failure {
                    text: "invalid Content-Type header value in ingest request".to_owned(),
                    retryable: false,
                    retry_after: None,
                    status_label: "error".to_owned(),
                })?;
                if first {
                    headers.insert(CONTENT_TYPE, value);
                    first = false;
                } else {
                    headers.append(CONTENT_TYPE, value);
                }
            }
            (headers, ingest_url(&opts.base_url, path, query))
        }
        _ => {
            let mut headers = prebuilt.push.clone();
            let value = if limit == opts.remote_timeout {
                prebuilt.remote_timeout_ms.clone()
            } else {
                timeout_ms_value(limit)
            };
            if let Some(value) = value {
                headers.insert(CONNECT_TIMEOUT_MS, value);
            }
            (headers, opts.push_url.clone())
        }
    };
    headers.insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));
    Ok(ExchangeRequest { url, headers, body })
}

/// The endpoint URL with its path replaced by `clean(join(url.path, path))` and the query set.
pub(super) fn ingest_url(base: &Url, path: &str, query: &str) -> Url {
    let mut url = base.clone();
    let joined = clean_path(&format!("{}/{}", base.path(), path));
    url.set_path(&joined);
    url.set_query(if query.is_empty() { None } else { Some(query) });
    url.set_fragment(None);
    url
}

/// Go's `path.Clean` for a rooted path: collapse `//`, resolve `.` and `..`, drop a trailing
/// `/`.
pub(super) fn clean_path(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    format!("/{}", parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_joins_like_go() {
        assert_eq!(clean_path("/base///ingest"), "/base/ingest");
        assert_eq!(clean_path("//ingest"), "/ingest");
        assert_eq!(clean_path("/a/b/../c/./ingest/"), "/a/c/ingest");
        assert_eq!(clean_path("/../ingest"), "/ingest");
        let base = Url::parse("http://gw:4040/base/").unwrap();
        assert_eq!(
            ingest_url(&base, "/ingest", "name=a").as_str(),
            "http://gw:4040/base/ingest?name=a"
        );
        let base = Url::parse("http://gw:4040").unwrap();
        assert_eq!(
            ingest_url(&base, "/ingest", "a=1&b=2").as_str(),
            "http://gw:4040/ingest?a=1&b=2"
        );
    }
}
