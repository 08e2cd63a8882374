//! The HTTP JSON API (axum). Every error is a JSON object `{"error": message, "code": code}` with the
//! status of [`MarketError::status`]; mutating requests are signed (see [`crate::auth`]).
//!
//! | method and path | body / query | signed by |
//! |---|---|---|
//! | `GET /v1/info`, `GET /v1/stats` | | |
//! | `POST /v1/dev/mint` | [`MintReq`] (`--dev-mint` servers) | `account` |
//! | `POST /v1/dev/clock` | [`ClockReq`] (`--dev-clock` servers) | anyone |
//! | `GET /v1/models`, `GET /v1/models/{id}`, `POST /v1/models` | [`ListReq`] | `owner` |
//! | `POST /v1/stake`, `POST /v1/unstake` | [`StakeReq`] | `provider` |
//! | `GET /v1/accounts/{key}` | | |
//! | `GET /v1/jobs?state=&listing_id=&model_id=&buyer=&limit=`, `POST /v1/jobs` | [`CreateJobReq`] | `buyer` |
//! | `GET /v1/jobs/{id}`; `GET /v1/jobs/{id}/result` (outputs) | | buyer (result) |
//! | `POST /v1/jobs/{id}/cancel`, `/claim`, `/abandon`, `/submit` | [`CancelReq`], [`ClaimReq`], [`AbandonReq`], [`SubmitReq`] | buyer, provider |

use crate::auth::{self, SignedHeaders};
use crate::error::MarketError;
use crate::market::{Market, Signer};
use crate::ops::JobFilter;
use crate::types::*;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::sync::Arc;

type App = State<Arc<Market>>;
type Body = Result<Bytes, BytesRejection>;

/// An error response.
#[derive(Debug)]
pub struct ApiError(pub MarketError);

impl From<MarketError> for ApiError {
    fn from(e: MarketError) -> Self {
        Self(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::json!({"error": self.0.to_string(), "code": self.0.code()});
        (status, Json(body)).into_response()
    }
}

type Res<T> = Result<Json<T>, ApiError>;

/// The router over a market.
pub fn router(market: Arc<Market>) -> Router {
    let limit = market.config.max_body;
    Router::new()
        .route("/v1/info", get(info))
        .route("/v1/stats", get(stats))
        .route("/v1/dev/mint", post(mint))
        .route("/v1/dev/clock", post(clock))
        .route("/v1/models", get(models).post(list_model))
        .route("/v1/models/{id}", get(model))
        .route("/v1/stake", post(stake))
        .route("/v1/unstake", post(unstake))
        .route("/v1/accounts/{key}", get(account))
        .route("/v1/jobs", get(jobs).post(create_job))
        .route("/v1/jobs/{id}", get(job))
        .route("/v1/jobs/{id}/result", get(job_result))
        .route("/v1/jobs/{id}/cancel", post(cancel))
        .route("/v1/jobs/{id}/claim", post(claim))
        .route("/v1/jobs/{id}/abandon", post(abandon))
        .route("/v1/jobs/{id}/submit", post(submit))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn_with_state(
            limit,
            reject_oversized,
        ))
        .with_state(market)
}

/// Answers 413 at once when the announced Content-Length is over the limit (the body extractor alone would
/// only notice once that much had arrived).
async fn reject_oversized(
    State(limit): State<usize>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let announced = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match announced {
        Some(n) if n > limit as u64 => ApiError(MarketError::TooLarge(format!(
            "{n} bytes announced, the limit is {limit}"
        )))
        .into_response(),
        _ => next.run(req).await,
    }
}

/// Serves the API on `listener` with the reaper running beside it, until the process ends.
pub async fn serve(market: Arc<Market>, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    let reaper = tokio::spawn(crate::reaper::run(market.clone()));
    let r = axum::serve(listener, router(market)).await;
    reaper.abort();
    r
}

async fn not_found(method: Method, uri: Uri) -> ApiError {
    ApiError(MarketError::NotFound(format!(
        "no route {method} {}",
        uri.path()
    )))
}

fn headers_of(h: &HeaderMap) -> Result<SignedHeaders, MarketError> {
    let get = |name: &str| -> Result<String, MarketError> {
        h.get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .ok_or_else(|| {
                MarketError::Unauthorized(format!("missing header {name}: sign the request"))
            })
    };
    let ts = get(auth::H_TIMESTAMP)?;
    Ok(SignedHeaders {
        key: get(auth::H_KEY)?,
        nonce: get(auth::H_NONCE)?,
        timestamp: ts.parse().map_err(|_| {
            MarketError::Unauthorized(format!("{}: '{ts}' is not an integer", auth::H_TIMESTAMP))
        })?,
        signature: get(auth::H_SIGNATURE)?,
    })
}

fn body_bytes(body: Body) -> Result<Bytes, MarketError> {
    body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            MarketError::TooLarge(e.body_text())
        } else {
            MarketError::bad(format!("cannot read the body: {}", e.body_text()))
        }
    })
}

/// Checks the signature of a request and parses its JSON body.
fn signed<T: DeserializeOwned>(
    m: &Market,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Body,
) -> Result<(Signer, T), MarketError> {
    let body = body_bytes(body)?;
    let h = headers_of(headers)?;
    auth::verify_request(
        &h,
        method.as_str(),
        uri.path(),
        &body,
        crate::clock::system_now(),
        m.config.auth_skew,
    )?;
    let req = serde_json::from_slice(&body)
        .map_err(|e| MarketError::bad(format!("malformed JSON body: {e}")))?;
    Ok((
        Signer {
            key: h.key,
            nonce: h.nonce,
            timestamp: h.timestamp,
        },
        req,
    ))
}

fn ok<T: Serialize>(v: T) -> Res<T> {
    Ok(Json(v))
}

async fn info(State(m): App) -> Res<Info> {
    ok(m.info())
}

async fn stats(State(m): App) -> Res<Stats> {
    ok(m.stats())
}

async fn mint(
    State(m): App,
    method: Method,
    uri: Uri,
    h: HeaderMap,
    body: Body,
) -> Res<serde_json::Value> {
    if !m.config.dev_mint {
        return Err(MarketError::Disabled(
            "minting is disabled on this server (start it with --dev-mint)".into(),
        )
        .into());
    }
    let (s, req): (_, MintReq) = signed(&m, &method, &uri, &h, body)?;
    let available = m.mint(&s, &req).await?;
    ok(serde_json::json!({"account": req.account, "available": available}))
}

async fn clock(State(m): App, method: Method, uri: Uri, h: HeaderMap, body: Body) -> Res<Info> {
    if !m.config.dev_clock {
        return Err(MarketError::Disabled(
            "the clock is fixed on this server (start it with --dev-clock)".into(),
        )
        .into());
    }
    let (_s, req): (_, ClockReq) = signed(&m, &method, &uri, &h, body)?;
    if !(0..=365 * 86_400).contains(&req.advance_secs) {
        return Err(MarketError::Unprocessable(
            "advance_secs must be 0 to 31536000 (the clock only moves forward)".into(),
        )
        .into());
    }
    m.clock.advance(req.advance_secs);
    ok(m.info())
}

async fn models(State(m): App) -> Res<Vec<Listing>> {
    ok(m.listings().await?)
}

async fn model(State(m): App, Path(id): Path<String>) -> Res<Listing> {
    ok(m.listing(&id).await?)
}

async fn list_model(
    State(m): App,
    method: Method,
    uri: Uri,
    h: HeaderMap,
    body: Body,
) -> Res<Listing> {
    let (s, req): (_, ListReq) = signed(&m, &method, &uri, &h, body)?;
    ok(m.list_model(&s, &req).await?)
}

async fn stake(State(m): App, method: Method, uri: Uri, h: HeaderMap, body: Body) -> Res<Balances> {
    let (s, req): (_, StakeReq) = signed(&m, &method, &uri, &h, body)?;
    ok(m.stake(&s, &req).await?)
}

async fn unstake(
    State(m): App,
    method: Method,
    uri: Uri,
    h: HeaderMap,
    body: Body,
) -> Res<Balances> {
    let (s, req): (_, StakeReq) = signed(&m, &method, &uri, &h, body)?;
    ok(m.unstake(&s, &req).await?)
}

async fn account(State(m): App, Path(key): Path<String>) -> Res<Balances> {
    ok(m.balances(&key).await?)
}

async fn jobs(State(m): App, q: Result<Query<JobFilter>, QueryRejection>) -> Res<Vec<Job>> {
    let Query(f) = q.map_err(|e| MarketError::bad(format!("bad query: {}", e.body_text())))?;
    ok(m.jobs(&f).await?)
}

async fn create_job(
    State(m): App,
    method: Method,
    uri: Uri,
    h: HeaderMap,
    body: Body,
) -> Res<Created> {
    let (s, req): (_, CreateJobReq) = signed(&m, &method, &uri, &h, body)?;
    ok(m.create_job(&s, &req).await?)
}

async fn job(State(m): App, Path(id): Path<String>) -> Res<Job> {
    ok(m.job(&id).await?)
}

async fn job_result(
    State(m): App,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    h: HeaderMap,
) -> Res<Job> {
    let hd = headers_of(&h)?;
    auth::verify_request(
        &hd,
        method.as_str(),
        uri.path(),
        b"",
        crate::clock::system_now(),
        m.config.auth_skew,
    )?;
    ok(m.job_result(&hd.key, &id).await?)
}

async fn cancel(
    State(m): App,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    h: HeaderMap,
    body: Body,
) -> Res<Job> {
    let (s, req): (_, CancelReq) = signed(&m, &method, &uri, &h, body)?;
    ok(m.cancel(&s, &id, &req).await?)
}

async fn claim(
    State(m): App,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    h: HeaderMap,
    body: Body,
) -> Res<ClaimInfo> {
    let (s, req): (_, ClaimReq) = signed(&m, &method, &uri, &h, body)?;
    ok(m.claim(&s, &id, &req).await?)
}

async fn abandon(
    State(m): App,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    h: HeaderMap,
    body: Body,
) -> Res<Job> {
    let (s, req): (_, AbandonReq) = signed(&m, &method, &uri, &h, body)?;
    ok(m.abandon(&s, &id, &req).await?)
}

async fn submit(
    State(m): App,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    h: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let received_at = m.now();
    let (s, req): (_, SubmitReq) = signed(&m, &method, &uri, &h, body)?;
    let r = m.submit(&s, &id, &req, received_at).await?;
    let (status, err) = match r.status.as_str() {
        "VALID" => (StatusCode::OK, None),
        "INVALID" => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(("proof_rejected", "proof rejected, collateral slashed")),
        ),
        "MALFORMED" => (
            StatusCode::BAD_REQUEST,
            Some(("bad_request", "unreadable proof; nothing changed")),
        ),
        _ => (
            StatusCode::CONFLICT,
            Some((
                "conflict",
                "the claim ended before this submission was judged",
            )),
        ),
    };
    let mut v = serde_json::to_value(&r).map_err(|e| MarketError::Internal(e.to_string()))?;
    if let (Some((code, what)), Some(o)) = (err, v.as_object_mut()) {
        o.insert(
            "error".into(),
            format!("{what}: {}", r.reason.clone().unwrap_or_default()).into(),
        );
        o.insert("code".into(), code.into());
    }
    Ok((status, Json(v)).into_response())
}
