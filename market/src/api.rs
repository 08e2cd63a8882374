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
//! | `GET /v1/accounts/{key}` (400 malformed, 404 unknown; `treasury`), `GET /v1/accounts/{key}/entries?after=&limit=` | | |
//! | `GET /v1/totals` (minted, burned, treasury, held per kind) | | |
//! | `GET /v1/jobs?state=&listing_id=&model_id=&buyer=&party=&after=&limit=&include_input=` ([`JobFilter`]: by deadline, price desc, id), `POST /v1/jobs` | [`CreateJobReq`] | `buyer` |
//! | `GET /v1/jobs/{id}`; `GET /v1/jobs/{id}/result` (outputs) | | buyer (result) |
//! | `POST /v1/jobs/{id}/cancel`, `/claim`, `/abandon`, `/submit` | [`CancelReq`], [`ClaimReq`], [`AbandonReq`], [`SubmitReq`] | buyer, provider |
//! | `POST /v1/jobs/{id}/sealed-input` (hashed-input jobs; body at most what the job's `sealed_max` implies, checked before reading) | [`SealReq`] | buyer |
//! | `GET /v1/jobs/{id}/sealed-input` ([`SealedInput`]) | | the current claimant |

use crate::error::{DevFeature, MarketError};
use crate::extract::{Signed, SignedGet};
use crate::market::Market;
use crate::ops::JobFilter;
use crate::types::*;
use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, Path, Query, State};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use std::sync::Arc;
use zkinfer_market_types::{ErrorBody, ErrorCode};

type App = State<Arc<Market>>;

/// An error response: the [`ErrorBody`] of a [`MarketError`] with its status.
#[derive(Debug)]
pub struct ApiError(pub MarketError);

impl From<MarketError> for ApiError {
    fn from(e: MarketError) -> Self {
        Self(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = self.0.error_code();
        let status =
            StatusCode::from_u16(code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = ErrorBody {
            error: self.0.to_string(),
            code,
        };
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
        .route("/v1/accounts/{key}/entries", get(account_entries))
        .route("/v1/totals", get(totals))
        .route("/v1/jobs", get(jobs).post(create_job))
        .route("/v1/jobs/{id}", get(job))
        .route("/v1/jobs/{id}/result", get(job_result))
        .route("/v1/jobs/{id}/cancel", post(cancel))
        .route("/v1/jobs/{id}/claim", post(claim))
        .route("/v1/jobs/{id}/abandon", post(abandon))
        .route("/v1/jobs/{id}/submit", post(submit))
        .route(
            "/v1/jobs/{id}/sealed-input",
            get(sealed_input).post(seal_input),
        )
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn(log_request))
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
        Some(announced) if announced > limit as u64 => {
            ApiError(MarketError::BodyTooLarge { announced, limit }).into_response()
        }
        _ => next.run(req).await,
    }
}

/// Logs every request: method, path, status and latency.
async fn log_request(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let t = std::time::Instant::now();
    let res = next.run(req).await;
    let status = res.status().as_u16();
    let latency_ms = t.elapsed().as_secs_f64() * 1e3;
    if res.status().is_server_error() {
        tracing::warn!(target: "zkinfer_market::http", %method, path, status, latency_ms, "request");
    } else {
        tracing::info!(target: "zkinfer_market::http", %method, path, status, latency_ms, "request");
    }
    res
}

/// Serves the API on `listener` with the reaper running beside it, until SIGTERM or Ctrl-C: then it
/// stops accepting connections, lets requests in flight finish, stops the reaper and closes the database.
/// Installs the log subscriber ([`crate::logging::init`]) unless the binary installed its own.
pub async fn serve(market: Arc<Market>, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    crate::logging::init();
    serve_until(market, listener, shutdown_signal()).await
}

/// [`serve`] until `shutdown` completes (graceful: requests in flight finish).
pub async fn serve_until(
    market: Arc<Market>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let reaper = tokio::spawn(crate::reaper::run(market.clone()));
    let heartbeat = tokio::spawn(crate::downtime::heartbeat(market.clone()));
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(target: "zkinfer_market::http", %addr, market_id = %market.market_id, "listening");
    }
    let r = axum::serve(listener, router(market.clone()))
        .with_graceful_shutdown(shutdown)
        .await;
    reaper.abort();
    heartbeat.abort();
    let _ = reaper.await;
    let _ = heartbeat.await;
    // the last moment this server was alive: a restart gives running claims the time it was away
    if let Err(e) = market.record_alive().await {
        tracing::warn!(target: "zkinfer_market::http", error = %e, "cannot record the shutdown time");
    }
    market.db.close().await;
    tracing::info!(target: "zkinfer_market::http", "server stopped");
    r
}

/// Completes on SIGTERM (Unix) or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!(target: "zkinfer_market::http", "Ctrl-C: shutting down"),
        _ = term => tracing::info!(target: "zkinfer_market::http", "SIGTERM: shutting down"),
    }
}

async fn not_found(method: Method, uri: Uri) -> ApiError {
    ApiError(MarketError::NoRoute {
        method: method.to_string(),
        path: uri.path().to_string(),
    })
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

/// A disabled dev feature answers 403 before the request's signature is looked at.
async fn mint(State(m): App, req: Result<Signed<MintReq>, ApiError>) -> Res<serde_json::Value> {
    if !m.config.dev_mint {
        return Err(MarketError::Disabled(DevFeature::Mint).into());
    }
    let Signed { signer, body } = req?;
    let available = m.mint(&signer, &body).await?;
    ok(serde_json::json!({"account": body.account, "available": available}))
}

async fn clock(State(m): App, req: Result<Signed<ClockReq>, ApiError>) -> Res<Info> {
    if !m.config.dev_clock {
        return Err(MarketError::Disabled(DevFeature::Clock).into());
    }
    let Signed { body, .. } = req?;
    if !(0..=365 * 86_400).contains(&body.advance_secs) {
        return Err(MarketError::ClockOutOfRange {
            advance_secs: body.advance_secs,
        }
        .into());
    }
    m.advance_clock(body.advance_secs).await?;
    ok(m.info())
}

async fn models(State(m): App) -> Res<Vec<Listing>> {
    ok(m.listings().await?)
}

async fn model(State(m): App, Path(id): Path<String>) -> Res<Listing> {
    ok(m.listing(&id).await?)
}

async fn list_model(State(m): App, Signed { signer, body }: Signed<ListReq>) -> Res<Listing> {
    ok(m.list_model(&signer, &body).await?)
}

async fn stake(State(m): App, Signed { signer, body }: Signed<StakeReq>) -> Res<Balances> {
    ok(m.stake(&signer, &body).await?)
}

async fn unstake(State(m): App, Signed { signer, body }: Signed<StakeReq>) -> Res<Balances> {
    ok(m.unstake(&signer, &body).await?)
}

async fn account(State(m): App, Path(key): Path<String>) -> Res<Balances> {
    ok(m.balances(&key).await?)
}

/// Paging of `GET /v1/accounts/{key}/entries`.
#[derive(Debug, Default, serde::Deserialize)]
struct EntryPage {
    after: Option<i64>,
    limit: Option<i64>,
}

async fn account_entries(
    State(m): App,
    Path(key): Path<String>,
    q: Result<Query<EntryPage>, QueryRejection>,
) -> Res<Vec<LedgerEntry>> {
    let Query(p) = q.map_err(MarketError::BadQuery)?;
    ok(
        m.entries(&key, p.after.unwrap_or(0), p.limit.unwrap_or(100))
            .await?,
    )
}

async fn totals(State(m): App) -> Res<Totals> {
    ok(m.totals().await?)
}

async fn jobs(State(m): App, q: Result<Query<JobFilter>, QueryRejection>) -> Res<Vec<Job>> {
    let Query(f) = q.map_err(MarketError::BadQuery)?;
    ok(m.jobs(&f).await?)
}

async fn create_job(State(m): App, Signed { signer, body }: Signed<CreateJobReq>) -> Res<Created> {
    ok(m.create_job(&signer, &body).await?)
}

async fn job(State(m): App, Path(id): Path<String>) -> Res<Job> {
    ok(m.job(&id).await?)
}

async fn job_result(State(m): App, Path(id): Path<String>, SignedGet(s): SignedGet) -> Res<Job> {
    ok(m.job_result(&s.key, &id).await?)
}

async fn cancel(
    State(m): App,
    Path(id): Path<String>,
    Signed { signer, body }: Signed<CancelReq>,
) -> Res<Job> {
    ok(m.cancel(&signer, &id, &body).await?)
}

async fn claim(
    State(m): App,
    Path(id): Path<String>,
    Signed { signer, body }: Signed<ClaimReq>,
) -> Res<ClaimInfo> {
    ok(m.claim(&signer, &id, &body).await?)
}

async fn abandon(
    State(m): App,
    Path(id): Path<String>,
    Signed { signer, body }: Signed<AbandonReq>,
) -> Res<Job> {
    ok(m.abandon(&signer, &id, &body).await?)
}

/// A judged submission answers with its [`SubmitResult`]; one that was not VALID also carries an error
/// message and code, with the status of that code.
async fn submit(
    State(m): App,
    Path(id): Path<String>,
    Signed { signer, body }: Signed<SubmitReq>,
) -> Result<Response, ApiError> {
    // the body was read and the signature checked before the handler runs
    let received_at = m.now();
    let r = m.submit(&signer, &id, &body, received_at).await?;
    let err = match r.status {
        SubmissionStatus::Valid => None,
        SubmissionStatus::Invalid => Some((
            ErrorCode::ProofRejected,
            "proof rejected, collateral slashed",
        )),
        SubmissionStatus::Malformed => {
            Some((ErrorCode::BadRequest, "unreadable proof; nothing changed"))
        }
        SubmissionStatus::Superseded | SubmissionStatus::Pending => Some((
            ErrorCode::Conflict,
            "the claim ended before this submission was judged",
        )),
    };
    let mut v = serde_json::to_value(&r).map_err(MarketError::Encode)?;
    let status = match (err, v.as_object_mut()) {
        (Some((code, what)), Some(o)) => {
            o.insert(
                "error".into(),
                format!("{what}: {}", r.reason.clone().unwrap_or_default()).into(),
            );
            o.insert("code".into(), code.as_str().into());
            StatusCode::from_u16(code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        }
        _ => StatusCode::OK,
    };
    Ok((status, Json(v)).into_response())
}

/// The most bytes a `POST /v1/jobs/{id}/sealed-input` body may have for a job whose sealed input may have
/// `sealed_max` bytes: the hex of the box and the JSON around it.
pub fn seal_body_limit(sealed_max: i64) -> u64 {
    (sealed_max.max(0) as u64)
        .saturating_mul(2)
        .saturating_add(1024)
}

/// The buyer posts the sealed input: the job's bound is looked up and the announced length checked
/// against it before any of the body is read; the body is then read up to that bound only.
async fn seal_input(
    State(m): App,
    Path(id): Path<String>,
    req: axum::extract::Request,
) -> Res<Job> {
    let job = m.job(&id).await?;
    let Some(sealed_max) = job.sealed_max.filter(|_| job.is_hashed()) else {
        return Err(MarketError::NotHashedJob { job_id: job.id }.into());
    };
    let limit = seal_body_limit(sealed_max).min(m.config.max_body as u64);
    let announced = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(n) = announced.filter(|n| *n > limit) {
        return Err(MarketError::SealedTooLarge {
            what: "the request announces",
            bytes: n,
            limit,
        }
        .into());
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, limit as usize)
        .await
        .map_err(|_| MarketError::SealedTooLarge {
            what: "the request body has more than",
            bytes: limit,
            limit,
        })?;
    let req = axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes));
    let Signed { signer, body } = Signed::<SealReq>::from_request(req, &m).await?;
    ok(m.seal_input(&signer, &id, &body).await?)
}

async fn sealed_input(
    State(m): App,
    Path(id): Path<String>,
    SignedGet(s): SignedGet,
) -> Res<SealedInput> {
    ok(m.sealed_input(&s.key, &id).await?)
}
