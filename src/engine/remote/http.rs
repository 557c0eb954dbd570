//! The HTTP side of the remote store: one keep-alive agent per store, MLflow's client settings
//! (auth, TLS, retries, timeout) read from the same environment variables, and MLflow's mapping
//! of answers to errors.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde_json::Value;

use crate::engine::error::{Error, ErrorCode, Result};

/// The REST API's path under the server's URL.
const API: &str = "/api/2.0/mlflow/";

/// Answers larger than this are refused rather than read into memory.
const MAX_RESPONSE_BYTES: u64 = 512 * 1024 * 1024;

/// HTTP statuses that MLflow's client retries (`_TRANSIENT_FAILURE_RESPONSE_CODES`).
pub const TRANSIENT_STATUSES: [u16; 6] = [408, 429, 500, 502, 503, 504];

/// Headers added to every request, asked for anew each time (a token provider); given the
/// server's URL.
pub type HeaderHook = Arc<dyn Fn(&str) -> Result<Vec<(String, String)>> + Send + Sync>;

/// The process's header provider (`mlrs.set_request_header_provider`), asked for every request
/// to every server while one is set; None costs nothing.
static HEADER_PROVIDER: RwLock<Option<HeaderHook>> = RwLock::new(None);

/// Installs (or with None removes) the process's header provider.
pub fn set_header_provider(hook: Option<HeaderHook>) {
    let mut slot = HEADER_PROVIDER
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    *slot = hook;
}

fn header_provider() -> Option<HeaderHook> {
    HEADER_PROVIDER
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone()
}

/// Checks a header from a provider before it goes on the wire; the value is never quoted (it
/// is usually a secret).
fn checked_header(name: String, value: String) -> Result<(String, String)> {
    if ureq::http::HeaderName::try_from(name.as_str()).is_err() {
        return Err(Error::invalid(format!(
            "The request header provider returned an invalid header name {name:?}."
        )));
    }
    if ureq::http::HeaderValue::try_from(value.as_str()).is_err() {
        return Err(Error::invalid(format!(
            "The request header provider returned an invalid value for the header '{name}' \
             (header values are visible ASCII without line breaks)."
        )));
    }
    Ok((name, value))
}

/// MLflow's HTTP client settings, with MLflow 3.18's defaults.
#[derive(Debug, Clone)]
pub struct Settings {
    pub max_retries: u32,
    pub backoff_factor: f64,
    pub backoff_jitter: f64,
    pub timeout: Duration,
    token: Option<String>,
    basic: Option<(String, String)>,
    insecure_tls: bool,
    server_cert_path: Option<String>,
    client_cert_path: Option<String>,
    /// For storage reached through presigned URLs (multipart parts): `requests`' own CA
    /// bundle variable, and MLflow's `MLFLOW_S3_IGNORE_TLS`.
    storage_ca_path: Option<String>,
    storage_insecure_tls: bool,
}

pub(super) fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

pub(super) fn env_number<T: std::str::FromStr>(name: &str, default: T) -> Result<T> {
    match env(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| Error::invalid(format!("{name} must be a number; got '{v}'."))),
    }
}

impl Settings {
    /// Reads `MLFLOW_TRACKING_*`, `MLFLOW_HTTP_REQUEST_*` and `REQUESTS_CA_BUNDLE`.
    pub fn from_env() -> Result<Self> {
        let insecure = env("MLFLOW_TRACKING_INSECURE_TLS")
            .is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "1"));
        let server_cert_path = env("MLFLOW_TRACKING_SERVER_CERT_PATH");
        if insecure && server_cert_path.is_some() {
            return Err(Error::invalid(
                "When 'MLFLOW_TRACKING_INSECURE_TLS' is set to 'true', \
                 'MLFLOW_TRACKING_SERVER_CERT_PATH' must not be set",
            ));
        }
        Ok(Self {
            max_retries: env_number("MLFLOW_HTTP_REQUEST_MAX_RETRIES", 7)?,
            backoff_factor: env_number("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", 2.0)?,
            backoff_jitter: env_number("MLFLOW_HTTP_REQUEST_BACKOFF_JITTER", 1.0)?,
            timeout: Duration::from_secs_f64(env_number("MLFLOW_HTTP_REQUEST_TIMEOUT", 120.0)?),
            token: env("MLFLOW_TRACKING_TOKEN"),
            basic: env("MLFLOW_TRACKING_USERNAME").zip(env("MLFLOW_TRACKING_PASSWORD")),
            insecure_tls: insecure,
            server_cert_path: server_cert_path.or_else(|| env("REQUESTS_CA_BUNDLE")),
            client_cert_path: env("MLFLOW_TRACKING_CLIENT_CERT_PATH"),
            storage_ca_path: env("REQUESTS_CA_BUNDLE"),
            storage_insecure_tls: env("MLFLOW_S3_IGNORE_TLS")
                .is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "1")),
        })
    }

    /// The wait before retry number `attempt` (1-based): MLflow's (urllib3's) exponential
    /// backoff, capped at 120 s, plus up to `backoff_jitter` seconds of jitter.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let base = self.backoff_factor * 2f64.powi(attempt.saturating_sub(1).min(30) as i32);
        let jitter = self.backoff_jitter * jitter_fraction();
        Duration::from_secs_f64(base.min(120.0) + jitter.max(0.0))
    }
}

/// A number in [0, 1) that differs between calls, for jitter.
fn jitter_fraction() -> f64 {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    f64::from(u16::from_le_bytes([bytes[0], bytes[1]])) / 65536.0
}

fn read_pem(path: &str) -> Result<Vec<u8>> {
    std::fs::read(path)
        .map_err(|e| Error::invalid(format!("Cannot read the certificate file '{path}': {e}")))
}

/// The certificates of a PEM file, as the roots a connection trusts.
fn root_certs(path: &str) -> Result<ureq::tls::RootCerts> {
    use ureq::tls::{PemItem, RootCerts, parse_pem};
    let pem = read_pem(path)?;
    let certs: Vec<_> = parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(PemItem::Certificate(c)) => Some(c),
            _ => None,
        })
        .collect();
    if certs.is_empty() {
        return Err(Error::invalid(format!(
            "The certificate file '{path}' holds no PEM certificate."
        )));
    }
    Ok(RootCerts::new_with_certs(&certs))
}

/// TLS for the storage behind presigned URLs: not the tracking server's certificates (the
/// storage has its own), but what `requests` trusts, as MLflow's part uploads use it.
fn storage_tls_config(settings: &Settings) -> Result<ureq::tls::TlsConfig> {
    use ureq::tls::{RootCerts, TlsConfig};
    let mut tls = TlsConfig::builder().root_certs(RootCerts::PlatformVerifier);
    if settings.storage_insecure_tls {
        tls = tls.disable_verification(true);
    }
    if let Some(path) = &settings.storage_ca_path {
        tls = tls.root_certs(root_certs(path)?);
    }
    Ok(tls.build())
}

fn tls_config(settings: &Settings) -> Result<ureq::tls::TlsConfig> {
    use ureq::tls::{ClientCert, PemItem, RootCerts, TlsConfig, parse_pem};
    let mut tls = TlsConfig::builder().root_certs(RootCerts::PlatformVerifier);
    if settings.insecure_tls {
        tls = tls.disable_verification(true);
    }
    if let Some(path) = &settings.server_cert_path {
        tls = tls.root_certs(root_certs(path)?);
    }
    if let Some(path) = &settings.client_cert_path {
        let pem = read_pem(path)?;
        let mut certs = Vec::new();
        let mut key = None;
        for item in parse_pem(&pem) {
            match item {
                Ok(PemItem::Certificate(c)) => certs.push(c),
                Ok(PemItem::PrivateKey(k)) => key = Some(k),
                _ => {}
            }
        }
        let key = key.ok_or_else(|| {
            Error::invalid(format!(
                "The client certificate file '{path}' holds no private key."
            ))
        })?;
        tls = tls.client_cert(Some(ClientCert::new_with_certs(&certs, key)));
    }
    Ok(tls.build())
}

/// How a request failed before MLflow's error mapping.
#[derive(Debug)]
pub enum Failure {
    /// No answer: connection refused or reset, timeout, DNS. The request may or may not have
    /// reached the server.
    Transport(String),
    /// An answer with a status that is not 200.
    Status { status: u16, body: String },
    /// The header provider failed, so nothing was sent: the shipper keeps the rows and tries
    /// again later; a call made by the user raises it at once.
    Headers(Error),
}

impl Failure {
    /// True for what MLflow's client retries: no answer, or 408/429/5xx.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Transport(_) | Self::Headers(_) => true,
            Self::Status { status, .. } => TRANSIENT_STATUSES.contains(status),
        }
    }
}

/// The server-info endpoint (MLflow 3's), which advertises a server's artifact capabilities.
const SERVER_INFO: &str = "/api/3.0/mlflow/server-info";

/// How long a server-info request may take: MLflow's client gives it 3 s and no retry.
const SERVER_INFO_TIMEOUT: Duration = Duration::from_secs(3);

/// One tracking server: its URL and a keep-alive agent. Cloning shares the connection pool and
/// the servers' info.
#[derive(Clone)]
pub struct Client {
    base: String,
    agent: ureq::Agent,
    /// For presigned URLs, which lead to the storage, not to the server: no auth of the
    /// server's, the storage's TLS roots.
    storage: ureq::Agent,
    pub settings: Arc<Settings>,
    hook: Option<HeaderHook>,
    /// Each server's answer to the server-info endpoint, by its URL (up to the `/api` part).
    server_info: Arc<parking_lot::Mutex<HashMap<String, Arc<Value>>>>,
}

impl Client {
    pub fn new(base: &str, settings: Settings, hook: Option<HeaderHook>) -> Result<Self> {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(settings.timeout))
            .max_idle_connections_per_host(4)
            .user_agent(concat!("mlrs/", env!("CARGO_PKG_VERSION")))
            .tls_config(tls_config(&settings)?)
            .build();
        let storage = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(settings.timeout))
            .max_idle_connections_per_host(8)
            .user_agent(concat!("mlrs/", env!("CARGO_PKG_VERSION")))
            .tls_config(storage_tls_config(&settings)?)
            .build();
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            agent: config.into(),
            storage: storage.into(),
            settings: Arc::new(settings),
            hook,
            server_info: Arc::default(),
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// The keep-alive agent, for requests outside the tracking API (the artifact proxy).
    pub fn agent(&self) -> &ureq::Agent {
        &self.agent
    }

    /// The agent for presigned storage URLs.
    pub fn storage_agent(&self) -> &ureq::Agent {
        &self.storage
    }

    /// What the server at `server` (its URL, up to `/api`) says of itself, asked once per
    /// client as MLflow's artifact client asks: an answer other than 200 is kept as an empty
    /// object (an older server: nothing advertised); no answer, or one that is not a JSON
    /// object, gives None and is asked again next time.
    pub fn server_info(&self, server: &str) -> Option<Arc<Value>> {
        let server = server.trim_end_matches('/');
        // Held while asking, so that concurrent uploads ask once.
        let mut cache = self.server_info.lock();
        if let Some(info) = cache.get(server) {
            return Some(Arc::clone(info));
        }
        let mut request = self
            .agent
            .get(format!("{server}{SERVER_INFO}"))
            .config()
            .timeout_global(Some(SERVER_INFO_TIMEOUT))
            .build();
        for (name, value) in self.auth_headers().ok()? {
            request = request.header(name, value);
        }
        let mut response = request.call().ok()?;
        let info = if response.status() == 200 {
            let text = response
                .body_mut()
                .with_config()
                .limit(1024 * 1024)
                .read_to_string()
                .ok()?;
            match serde_json::from_str::<Value>(&text) {
                Ok(object @ Value::Object(_)) => object,
                _ => return None,
            }
        } else {
            Value::Object(serde_json::Map::new())
        };
        let info = Arc::new(info);
        cache.insert(server.to_owned(), Arc::clone(&info));
        Some(info)
    }

    /// The auth headers (and the header hook's) for one request.
    pub fn auth_headers(&self) -> Result<Vec<(String, String)>> {
        let mut headers = Vec::new();
        if let Some(token) = &self.settings.token {
            headers.push(("Authorization".to_owned(), format!("Bearer {token}")));
        } else if let Some((user, password)) = &self.settings.basic {
            let raw = format!("{user}:{password}");
            headers.push((
                "Authorization".to_owned(),
                format!("Basic {}", base64_encode(raw.as_bytes())),
            ));
        }
        for hook in self.hook.iter().cloned().chain(header_provider()) {
            for (name, value) in hook(&self.base)? {
                let (name, value) = checked_header(name, value)?;
                headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
                headers.push((name, value));
            }
        }
        Ok(headers)
    }

    /// One attempt: `GET` with `query`, or `POST`/`PATCH`/`DELETE` with a JSON `body`.
    pub fn attempt(
        &self,
        method: &str,
        endpoint: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<std::result::Result<Value, Failure>> {
        let url = format!("{}{API}{endpoint}", self.base);
        let headers = match self.auth_headers() {
            Ok(headers) => headers,
            Err(e) => return Ok(Err(Failure::Headers(e))),
        };
        let response = if method == "GET" {
            let mut request = self.agent.get(&url);
            for (name, value) in &headers {
                request = request.header(name, value);
            }
            for (key, value) in query {
                request = request.query(*key, value);
            }
            request.call()
        } else {
            let mut request = match method {
                "PATCH" => self.agent.patch(&url),
                "DELETE" => self.agent.delete(&url).force_send_body(),
                _ => self.agent.post(&url),
            };
            for (name, value) in &headers {
                request = request.header(name, value);
            }
            let text = body.map_or_else(|| "{}".to_owned(), Value::to_string);
            request
                .header("Content-Type", "application/json")
                .send(text.as_bytes())
        };
        let mut response = match response {
            Ok(r) => r,
            Err(e) => return Ok(Err(Failure::Transport(transport_message(&e)))),
        };
        let status = response.status().as_u16();
        let text = match response
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BYTES)
            .read_to_string()
        {
            Ok(text) => text,
            Err(ureq::Error::BodyExceedsLimit(limit)) => {
                return Err(Error::internal(format!(
                    "The answer of {url} is larger than {limit} bytes; mlrs does not read it."
                )));
            }
            Err(e) => return Ok(Err(Failure::Transport(transport_message(&e)))),
        };
        if status != 200 {
            return Ok(Err(Failure::Status { status, body: text }));
        }
        if text.trim().is_empty() {
            return Ok(Ok(Value::Object(serde_json::Map::new())));
        }
        match serde_json::from_str::<Value>(&text) {
            Ok(value @ Value::Object(_)) => Ok(Ok(value)),
            _ => Err(Error::internal(format!(
                "API request to endpoint was successful but the response body was not in a \
                 valid JSON format. Response body: '{}' (is {} an MLflow tracking server?)",
                excerpt(&text),
                self.base
            ))),
        }
    }

    /// A request with MLflow's retries: transport failures and 408/429/5xx are retried with
    /// backoff up to `max_retries` times; then the failure becomes MLflow's exception.
    pub fn call(
        &self,
        method: &str,
        endpoint: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Value> {
        let mut attempt = 0;
        loop {
            match self.attempt(method, endpoint, query, body)? {
                Ok(value) => return Ok(value),
                Err(Failure::Headers(e)) => return Err(e),
                Err(failure) if failure.is_transient() && attempt < self.settings.max_retries => {
                    attempt += 1;
                    std::thread::sleep(self.settings.backoff(attempt));
                }
                Err(failure) => return Err(self.error(endpoint, &failure)),
            }
        }
    }

    pub fn get(&self, endpoint: &str, query: &[(&str, String)]) -> Result<Value> {
        self.call("GET", endpoint, query, None)
    }

    pub fn post(&self, endpoint: &str, body: &Value) -> Result<Value> {
        self.call("POST", endpoint, &[], Some(body))
    }

    /// MLflow's exception for a failed request (`RestException`'s `CODE: message` for a JSON
    /// error, the status and body otherwise; 401/403 name the variables to set).
    pub fn error(&self, endpoint: &str, failure: &Failure) -> Error {
        match failure {
            Failure::Headers(e) => Error::with_code(e.code(), e.to_string()),
            Failure::Transport(message) => Error::internal(format!(
                "API request to {}{API}{endpoint} failed: {message}. The tracking server \
                 did not answer (retried {} times).",
                self.base, self.settings.max_retries
            )),
            Failure::Status { status, body } => {
                if let Ok(Value::Object(json)) = serde_json::from_str::<Value>(body) {
                    let code_name = json
                        .get("error_code")
                        .and_then(Value::as_str)
                        .unwrap_or("INTERNAL_ERROR")
                        .to_owned();
                    let message = json.get("message").and_then(Value::as_str).map_or_else(
                        || format!("Response: {}", Value::Object(json.clone())),
                        str::to_owned,
                    );
                    let code = ErrorCode::from_name(&code_name)
                        .or_else(|| code_name.parse().ok().map(ErrorCode::from_http_status))
                        .unwrap_or(ErrorCode::InternalError);
                    let mut message = message;
                    if matches!(status, 401 | 403) {
                        message.push_str(&self.auth_hint(*status));
                    }
                    return Error::Rest {
                        code,
                        code_name,
                        message,
                    };
                }
                let code = ErrorCode::from_http_status(*status);
                let mut text = format!(
                    "API request to endpoint {API}{endpoint} failed with error code {status} != \
                     200. Response body: '{}'",
                    excerpt(body)
                );
                if matches!(status, 401 | 403) {
                    text.push_str(&self.auth_hint(*status));
                }
                Error::with_code(code, text)
            }
        }
    }

    fn auth_hint(&self, status: u16) -> String {
        let mut hint = format!(
            " (the tracking server {} refused the request with HTTP {status}; ",
            self.base
        );
        let _ = write!(
            hint,
            "set MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, \
             or install a header provider with mlrs.set_request_header_provider)"
        );
        hint
    }
}

/// A bounded excerpt of an answer, for messages.
fn excerpt(text: &str) -> String {
    const MAX: usize = 500;
    if text.len() <= MAX {
        return text.to_owned();
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... ({} bytes)", &text[..end], text.len())
}

fn transport_message(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(_) => "timed out".to_owned(),
        ureq::Error::ConnectionFailed => "connection refused".to_owned(),
        ureq::Error::HostNotFound => "host not found".to_owned(),
        other => other.to_string(),
    }
}

/// Standard base64 with padding (RFC 4648), for basic auth and page tokens.
pub fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
