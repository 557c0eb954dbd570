//! Run artifacts through a tracking server's artifact proxy (`mlflow-artifacts:` locations, the
//! default of `mlflow server`): `PUT <root>/<path>` uploads a file, `GET <root>/<path>`
//! downloads one, `GET /api/2.0/mlflow-artifacts/artifacts?path=<path>` lists a directory, the
//! requests MLflow 3.18's `HttpArtifactRepository` sends.
//!
//! Requests go through the tracking store's agent (keep-alive pool, auth, TLS) with MLflow's
//! retries. Bodies stream: an upload reads the file as the socket takes it (with its
//! `Content-Length`), a download copies the socket to the file in fixed-size chunks, so memory
//! stays flat whatever the size. The global request timeout does not apply to the body of a
//! transfer (a 1 GB file may take minutes); connecting and awaiting the answer keep it. Where
//! the server offers it, a large file goes in parts to its storage instead (`multipart.rs`).
//!
//! Paths are checked before anything is sent or written: an artifact path must be normal and
//! relative (MLflow's `Invalid artifact path`), and every path a server lists is refused when it
//! is absolute or has a `..` part (MLflow's `Invalid path`), so a download never writes outside
//! its destination.

use std::fmt::Write as _;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde_json::Value;

use super::http::{Client, Failure};
use crate::engine::artifacts::{Entry, Result, check_artifact_path};
use crate::engine::error::{Error, ErrorCode};
use crate::engine::validate::normpath;

/// The artifact service's path on a server, after `/api/2.0`.
pub const SERVICE: &str = "/mlflow-artifacts/artifacts";

/// Characters escaped in a URL path segment (what `requests` quotes, plus `%`).
pub(super) const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'[')
    .add(b']')
    .add(b'\\')
    .add(b'^')
    .add(b'|');

pub(super) fn at(path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
    move |error| Error::Io {
        error,
        path: path.to_owned(),
    }
}

/// `root/rel` with each part of `rel` percent-encoded.
pub(super) fn join_url(root: &str, rel: &str) -> String {
    let mut url = root.trim_end_matches('/').to_owned();
    for part in rel.split('/').filter(|p| !p.is_empty()) {
        url.push('/');
        url.extend(utf8_percent_encode(part, SEGMENT));
    }
    url
}

/// The artifact service's full path on a tracking server.
const SERVICE_PATH: &str = "/api/2.0/mlflow-artifacts/artifacts";

/// The HTTP URL of the artifact root `artifact_uri` on the tracking server `tracking_uri`: an
/// `mlflow-artifacts:` location resolved as MLflow's `MlflowArtifactsRepository.resolve_uri`
/// resolves it (the location's own host if it names one, else the server's; its path under the
/// server's artifact service), an `http(s)://` URL as it is.
pub fn service_root(artifact_uri: &str, tracking_uri: &str) -> Result<String> {
    if !artifact_uri.starts_with("mlflow-artifacts:") {
        return Ok(artifact_uri.trim_end_matches('/').to_owned());
    }
    let location = url::Url::parse(artifact_uri)
        .map_err(|e| Error::invalid(format!("Invalid artifact location {artifact_uri}: {e}")))?;
    if let Some(host) = location.host_str()
        && location.port().is_none()
        && is_number(host)
    {
        return Err(Error::internal(format!(
            "The mlflow-artifacts uri was supplied with a port number: {host}, but no host was \
             defined."
        )));
    }
    let server = url::Url::parse(tracking_uri)
        .ok()
        .filter(|t| matches!(t.scheme(), "http" | "https"))
        .ok_or_else(|| not_a_server(tracking_uri))?;
    let authority =
        |u: &url::Url| u[url::Position::BeforeUsername..url::Position::AfterPort].to_owned();
    let mut netloc = authority(&location);
    if netloc.is_empty() {
        netloc = authority(&server);
    }
    let path = match raw_path(artifact_uri) {
        "/" => format!("{SERVICE_PATH}/"),
        SERVICE_PATH => SERVICE_PATH.to_owned(),
        path => format!("{}/{SERVICE_PATH}/{path}", raw_path(tracking_uri)),
    };
    let mut collapsed = String::with_capacity(path.len());
    for c in path.chars() {
        if !(c == '/' && collapsed.ends_with('/')) {
            collapsed.push(c);
        }
    }
    let url = format!("{}://{netloc}{collapsed}", server.scheme());
    Ok(url.trim_end_matches('/').to_owned())
}

/// The path of a URI as written (Python's `urlparse(uri).path`): `url` percent-encodes what it
/// parses, and a location's path goes to the server as the user wrote it.
fn raw_path(uri: &str) -> &str {
    let rest = uri.split_once(':').map_or(uri, |(_, rest)| rest);
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    match rest.strip_prefix("//") {
        Some(authority_and_path) => authority_and_path
            .find('/')
            .map_or("", |slash| &authority_and_path[slash..]),
        None => rest,
    }
}

/// Python's `str.isdigit` of a host with at most one dot removed (MLflow's test for a location
/// such as `mlflow-artifacts://5000/...`, a port given without a host).
fn is_number(host: &str) -> bool {
    let once = host.replacen('.', "", 1);
    !once.is_empty() && once.chars().all(|c| c.is_ascii_digit())
}

/// The schemes Python's `urllib.parse` writes with `//` (`uses_netloc`).
const USES_NETLOC: [&str; 25] = [
    "ftp", "http", "gopher", "nntp", "telnet", "imap", "wais", "file", "mms", "https", "shttp",
    "snews", "prospero", "rtsp", "rtsps", "rtspu", "rsync", "svn", "svn+ssh", "sftp", "nfs", "git",
    "git+ssh", "ws", "wss",
];

/// MLflow's refusal of an `mlflow-artifacts:` location under a tracking URI that is not a
/// server's; the URI is shown without credentials, query or fragment.
fn not_a_server(tracking_uri: &str) -> Error {
    let shown = match url::Url::parse(tracking_uri) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.set_query(None);
            u.set_fragment(None);
            // Python's `geturl` writes `//` before an empty authority only for the schemes it
            // knows to have one (`sqlite:///m.db` comes back as `sqlite:/m.db`).
            if u.host_str().is_none_or(str::is_empty) && !USES_NETLOC.contains(&u.scheme()) {
                format!("{}:{}", u.scheme(), raw_path(u.as_str()))
            } else {
                u.to_string()
            }
        }
        Err(_) => tracking_uri.to_owned(),
    };
    Error::internal(format!(
        "When an mlflow-artifacts URI was supplied, the tracking URI must be a valid http or \
         https URI, but it was currently set to {shown}. Perhaps you forgot to set the tracking \
         URI to the running MLflow server. To set the tracking URI, use either of the following \
         methods:\n1. Set the MLFLOW_TRACKING_URI environment variable to the desired tracking \
         URI. `export MLFLOW_TRACKING_URI=http://localhost:5000`\n2. Set the tracking URI \
         programmatically by calling `mlflow.set_tracking_uri`. \
         `mlflow.set_tracking_uri('http://localhost:5000')`"
    ))
}

/// MLflow's `validate_path_is_safe` for a path a server listed: no `..` part, not absolute, no
/// backslash, no `#`.
pub fn check_listed(path: &str) -> Result<()> {
    let bad = path.contains('#')
        || path.contains('\\')
        || path.starts_with('/')
        || path.split('/').any(|p| p == "..");
    if bad {
        return Err(Error::invalid("Invalid path"));
    }
    Ok(())
}

/// A body to send: nothing, a file read from the start at each attempt, or JSON.
pub(super) enum Body<'a> {
    Empty,
    File(&'a Path),
    Json(&'a Value),
}

/// One request with MLflow's retries; the answer's body is left unread for the caller.
fn request(
    client: &Client,
    method: &str,
    url: &str,
    query: &[(&str, &str)],
    body: &Body<'_>,
    content_type: Option<&str>,
) -> Result<ureq::http::Response<ureq::Body>> {
    retried(client, method, url, query, body, content_type)?
        .map_err(|failure| http_error(method, url, &failure, client.settings.max_retries))
}

/// One request with MLflow's retries: the successful answer (its body unread), or how the
/// last attempt failed, for callers that tell failures apart.
pub(super) fn retried(
    client: &Client,
    method: &str,
    url: &str,
    query: &[(&str, &str)],
    body: &Body<'_>,
    content_type: Option<&str>,
) -> Result<std::result::Result<ureq::http::Response<ureq::Body>, Failure>> {
    let settings = &client.settings;
    let mut attempt = 0;
    loop {
        let failure = match send_once(client, method, url, query, body, content_type)? {
            Ok(response) if response.status().is_success() => return Ok(Ok(response)),
            Ok(mut response) => failure_of(&mut response),
            Err(failure) => failure,
        };
        if failure.is_transient() && attempt < settings.max_retries {
            attempt += 1;
            std::thread::sleep(settings.backoff(attempt));
            continue;
        }
        return Ok(Err(failure));
    }
}

/// An answer that is not a success, with (the start of) its text.
pub(super) fn failure_of(response: &mut ureq::http::Response<ureq::Body>) -> Failure {
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .with_config()
        .limit(64 * 1024)
        .read_to_string()
        .unwrap_or_default();
    Failure::Status { status, body: text }
}

fn send_once(
    client: &Client,
    method: &str,
    url: &str,
    query: &[(&str, &str)],
    body: &Body<'_>,
    content_type: Option<&str>,
) -> Result<std::result::Result<ureq::http::Response<ureq::Body>, Failure>> {
    let timeout = Some(client.settings.timeout);
    let headers = client.auth_headers()?;
    let agent = client.agent();
    let result = match body {
        Body::File(path) => {
            let file = File::open(path).map_err(at(path))?;
            let mut request = agent
                .put(url)
                .config()
                .timeout_global(None)
                .timeout_connect(timeout)
                .timeout_recv_response(timeout)
                .build();
            for (name, value) in &headers {
                request = request.header(name, value);
            }
            if let Some(content_type) = content_type {
                request = request.header("Content-Type", content_type);
            }
            request.send(&file)
        }
        Body::Json(json) => {
            let mut request = agent.post(url);
            for (name, value) in &headers {
                request = request.header(name, value);
            }
            request
                .header("Content-Type", "application/json")
                .send(json.to_string().as_bytes())
        }
        Body::Empty => {
            let mut request = match method {
                "GET" => agent.get(url),
                _ => agent.delete(url),
            }
            .config()
            .timeout_global(None)
            .timeout_connect(timeout)
            .timeout_recv_response(timeout)
            .build();
            for (name, value) in &headers {
                request = request.header(name, value);
            }
            for (key, value) in query {
                request = request.query(*key, *value);
            }
            request.call()
        }
    };
    Ok(result.map_err(|e| Failure::Transport(transport_message(&e))))
}

pub(super) fn transport_message(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(_) => "timed out".to_owned(),
        ureq::Error::ConnectionFailed => "connection refused".to_owned(),
        ureq::Error::HostNotFound => "host not found".to_owned(),
        other => other.to_string(),
    }
}

/// The error for a failed artifact request: the status and the server's text, as MLflow's
/// `augmented_raise_for_status` words it, with the matching error code.
pub(super) fn http_error(method: &str, url: &str, failure: &Failure, retries: u32) -> Error {
    match failure {
        Failure::Transport(message) => Error::internal(format!(
            "{method} {url} failed: {message}. The tracking server did not answer (retried \
             {retries} times)."
        )),
        // The provider's failure, as a call made by the user raises it.
        Failure::Headers(e) => Error::with_code(e.code(), e.to_string()),
        Failure::Status { status, body } => {
            let kind = if *status < 500 {
                "Client Error"
            } else {
                "Server Error"
            };
            let reason = ureq::http::StatusCode::from_u16(*status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("");
            let mut text = format!("{status} {kind}: {reason} for url: {url}");
            if !body.trim().is_empty() {
                let mut end = body.len().min(500);
                while !body.is_char_boundary(end) {
                    end -= 1;
                }
                let _ = write!(text, ". Response text: {}", &body[..end]);
            }
            Error::with_code(ErrorCode::from_http_status(*status), text)
        }
    }
}

/// MLflow's guess of a file's content type from its name (`mimetypes`, `application/octet-stream`
/// otherwise), for the few kinds runs log most.
fn mime_type(name: &str) -> &'static str {
    let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match extension.as_deref() {
        Some("txt" | "log" | "py" | "md") => "text/plain",
        Some("json") => "application/json",
        Some("yaml" | "yml") => "application/x-yaml",
        Some("html" | "htm") => "text/html",
        Some("csv") => "text/csv",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("svg") => "image/svg+xml",
        Some("webp") => "image/webp",
        Some("pdf") => "application/pdf",
        _ => "application/octet-stream",
    }
}

/// Uploads one local file as `<root>/<artifact_path>/<its name>`, streaming it from disk.
pub fn upload_file(
    client: &Client,
    root: &str,
    local: &Path,
    artifact_path: Option<&str>,
) -> Result<()> {
    let artifact_path = artifact_path.unwrap_or_default();
    check_artifact_path(artifact_path)?;
    let metadata = fs::metadata(local).map_err(at(local))?;
    if metadata.is_dir() {
        return Err(Error::Io {
            error: io::ErrorKind::IsADirectory.into(),
            path: local.to_owned(),
        });
    }
    if !metadata.is_file() {
        // A FIFO or a device would block the upload or never end.
        return Err(Error::invalid(format!(
            "{} is not a regular file; only files can be logged as artifacts.",
            local.display()
        )));
    }
    let name = local
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| Error::invalid(format!("Not a file: {}", local.display())))?;
    let rel = if artifact_path.is_empty() {
        name.clone()
    } else {
        format!("{artifact_path}/{name}")
    };
    if super::multipart::upload(client, root, local, artifact_path, &name, metadata.len())? {
        return Ok(());
    }
    let url = join_url(root, &rel);
    request(
        client,
        "PUT",
        &url,
        &[],
        &Body::File(local),
        Some(mime_type(&name)),
    )
    .map(drop)
}

/// Uploads every file under `local_dir` to `<root>/<artifact_path>/<its relative path>`.
pub fn upload_dir(
    client: &Client,
    root: &str,
    local_dir: &Path,
    artifact_path: Option<&str>,
) -> Result<()> {
    let base = artifact_path.unwrap_or_default();
    check_artifact_path(base)?;
    let mut pending = vec![(local_dir.to_owned(), base.to_owned())];
    while let Some((dir, rel)) = pending.pop() {
        let mut entries: Vec<_> = fs::read_dir(&dir)
            .map_err(at(&dir))?
            .collect::<io::Result<_>>()
            .map_err(at(&dir))?;
        entries.sort_by_key(fs::DirEntry::file_name);
        for entry in entries {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let child = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            // As `os.walk` (MLflow's walk): a real directory is entered, a link to one is not
            // (so a link loop cannot recurse forever), a file or a link to one is uploaded.
            if entry.file_type().map_err(at(&path))?.is_dir() {
                pending.push((path, child));
            } else if !fs::metadata(&path).map_err(at(&path))?.is_dir() {
                upload_file(client, root, &path, (!rel.is_empty()).then_some(&*rel))?;
            }
        }
    }
    Ok(())
}

/// The server's URL (up to `/api/2.0`) and the root's path under the artifact service.
fn split_root(root: &str) -> Result<(&str, &str)> {
    root.split_once(SERVICE)
        .map(|(server, tail)| (server, tail.trim_start_matches('/')))
        .ok_or_else(|| {
            Error::invalid(format!(
                "{root} is not an MLflow artifact service URL (no '{SERVICE}' in it)."
            ))
        })
}

fn list_raw(client: &Client, root: &str, path: &str) -> Result<Vec<Entry>> {
    let (server, tail) = split_root(root)?;
    let url = format!("{server}{SERVICE}");
    let query_path = match (tail.is_empty(), path.is_empty()) {
        (_, true) => tail.to_owned(),
        (true, false) => path.to_owned(),
        (false, false) => format!("{tail}/{path}"),
    };
    let decoded = percent_encoding::percent_decode_str(&query_path).decode_utf8_lossy();
    let mut response = request(
        client,
        "GET",
        &url,
        &[("path", &decoded)],
        &Body::Empty,
        None,
    )?;
    let text = response
        .body_mut()
        .with_config()
        .limit(256 * 1024 * 1024)
        .read_to_string()
        .map_err(|e| Error::internal(format!("Reading the listing of {url}: {e}")))?;
    let json: Value = serde_json::from_str(&text).map_err(|_| {
        Error::internal(format!(
            "The listing of {url} is not JSON (is {server} an MLflow tracking server?)"
        ))
    })?;
    let mut entries = Vec::new();
    for file in json
        .get("files")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(name) = file.get("path").and_then(Value::as_str) else {
            continue;
        };
        check_listed(name)?;
        let full = if path.is_empty() {
            name.to_owned()
        } else {
            format!("{path}/{name}")
        };
        let size = match file.get("file_size") {
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) => s.parse().ok(),
            _ => None,
        };
        entries.push(Entry {
            path: full.into(),
            is_dir: file.get("is_dir").and_then(Value::as_bool).unwrap_or(false),
            size,
        });
    }
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(entries)
}

/// The entries directly under `path` of the artifact root `root` (a directory's contents; an
/// empty list for a file or a path that does not exist), sorted by path, as MLflow lists them.
pub fn list(client: &Client, root: &str, path: Option<&str>) -> Result<Vec<Entry>> {
    let path = path.map(|p| p.trim_matches('/')).unwrap_or_default();
    let entries = list_raw(client, root, path)?;
    // A file is listed as itself by some stores: tell that from a directory holding one file
    // of its own name by the parent's listing.
    if let [only] = entries.as_slice()
        && !only.is_dir
        && !path.is_empty()
    {
        let name = path.rsplit('/').next().unwrap_or(path);
        if only.path.to_string_lossy() == format!("{path}/{name}") {
            let parent = path.rsplit_once('/').map_or("", |(p, _)| p);
            let is_dir = list_raw(client, root, parent)?
                .iter()
                .any(|e| e.is_dir && e.path.to_string_lossy() == path);
            if !is_dir {
                return Ok(Vec::new());
            }
        }
    }
    Ok(entries)
}

/// Downloads the file `<root>/<path>` to `local`, streaming it from the socket to the file.
/// A partly written file is removed on failure.
pub fn download_file(client: &Client, root: &str, path: &str, local: &Path) -> Result<()> {
    let url = join_url(root, path);
    let response = request(client, "GET", &url, &[], &Body::Empty, None)?;
    let mut reader = response.into_body().into_reader();
    let result = File::create(local).map_err(at(local)).and_then(|mut file| {
        io::copy(&mut reader, &mut file)
            .map_err(|e| Error::internal(format!("Downloading {url} to {}: {e}", local.display())))
            .and_then(|_| file.sync_all().map_err(at(local)))
    });
    if result.is_err() {
        let _ = fs::remove_file(local);
    }
    result
}

/// `dst/<rel>` for a path the server listed, refused when it would leave `dst`.
fn beneath(dst: &Path, rel: &str) -> Result<PathBuf> {
    check_listed(rel)?;
    let norm = normpath(rel);
    if norm == ".." || norm.starts_with("../") || norm.starts_with('/') {
        return Err(Error::invalid("Invalid path"));
    }
    Ok(if norm == "." {
        dst.to_owned()
    } else {
        dst.join(norm)
    })
}

/// What a recursive download found: the files to fetch and the empty directories to create.
fn walk(
    client: &Client,
    root: &str,
    path: &str,
    files: &mut Vec<String>,
    dirs: &mut Vec<String>,
) -> Result<()> {
    let entries: Vec<_> = list(client, root, (!path.is_empty()).then_some(path))?
        .into_iter()
        .filter(|e| {
            let p = e.path.to_string_lossy();
            p != "." && p != path
        })
        .collect();
    if entries.is_empty() {
        dirs.push(path.to_owned());
        return Ok(());
    }
    for entry in entries {
        let p = entry.path.to_string_lossy().into_owned();
        if entry.is_dir {
            walk(client, root, &p, files, dirs)?;
        } else {
            files.push(p);
        }
    }
    Ok(())
}

/// Failures of a download, per artifact path, in MLflow's `download_artifacts` wording.
pub struct DownloadFailures {
    pub failures: Vec<(String, Error)>,
}

/// Downloads the artifact `path` (a file or a directory; everything for an empty path) of the
/// root into `dst` as `dst/<last part of path>/...`, as MLflow's `download_artifacts` places it
/// (it downloads the last part from the path's parent): a path that lists nothing is fetched
/// as a file. Returns the local path, or the failures per file.
pub fn download(
    client: &Client,
    root: &str,
    path: &str,
    dst: &Path,
) -> Result<std::result::Result<PathBuf, DownloadFailures>> {
    let path = path.trim_end_matches('/');
    let (parent, name) = path.rsplit_once('/').unwrap_or(("", path));
    let target = beneath(dst, name)?;
    let local_of = |file: &str| -> Result<PathBuf> {
        let rel = if parent.is_empty() {
            file
        } else {
            file.strip_prefix(parent)
                .and_then(|r| r.strip_prefix('/'))
                .ok_or_else(|| Error::invalid("Invalid path"))?
        };
        beneath(dst, rel)
    };
    let listed = list(client, root, (!path.is_empty()).then_some(path))?;
    if path.is_empty() && listed.is_empty() {
        return Ok(Ok(dst.to_owned()));
    }
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    if listed.is_empty() {
        files.push(path.to_owned());
    } else {
        walk(client, root, path, &mut files, &mut dirs)?;
    }
    for dir in &dirs {
        let local = local_of(dir)?;
        fs::create_dir_all(&local).map_err(at(&local))?;
    }
    let mut failures = Vec::new();
    for file in files {
        let outcome = local_of(&file).and_then(|local| {
            if let Some(parent) = local.parent() {
                fs::create_dir_all(parent).map_err(at(parent))?;
            }
            download_file(client, root, &file, &local)
        });
        if let Err(e) = outcome {
            failures.push((file, e));
        }
    }
    if !failures.is_empty() {
        return Ok(Err(DownloadFailures { failures }));
    }
    Ok(Ok(target))
}

#[cfg(test)]
mod tests {
    #[test]
    fn mlflow_artifacts_locations_resolve_as_mlflow_resolves_them() {
        let service = "/api/2.0/mlflow-artifacts/artifacts";
        for (location, tracking, expected) in [
            (
                "mlflow-artifacts:/0/r/artifacts",
                "http://127.0.0.1:5000",
                format!("http://127.0.0.1:5000{service}/0/r/artifacts"),
            ),
            (
                "mlflow-artifacts:/0/x",
                "http://h/prefix",
                format!("http://h/prefix{service}/0/x"),
            ),
            (
                "mlflow-artifacts://other:8080/x",
                "http://u:p@h:5000",
                format!("http://other:8080{service}/x"),
            ),
            (
                "mlflow-artifacts:/",
                "http://h:1",
                format!("http://h:1{service}"),
            ),
            (
                "mlflow-artifacts:/0/a b/c%20d",
                "https://h",
                format!("https://h{service}/0/a b/c%20d"),
            ),
            (
                "mlflow-artifacts:/api/2.0/mlflow-artifacts/artifacts",
                "http://h",
                format!("http://h{service}"),
            ),
            (
                "http://elsewhere/root/",
                "http://h",
                "http://elsewhere/root".to_owned(),
            ),
        ] {
            assert_eq!(
                service_root(location, tracking).unwrap(),
                expected,
                "{location}"
            );
        }
        let port_only = service_root("mlflow-artifacts://5000/x", "http://h").unwrap_err();
        assert!(port_only.to_string().contains("port number: 5000"));
        let file_store = service_root("mlflow-artifacts:/x", "sqlite:///m.db").unwrap_err();
        assert!(
            file_store
                .to_string()
                .contains("currently set to sqlite:/m.db.")
        );
        let hidden = service_root("mlflow-artifacts:/x", "ftp://ann:pw@h/p?q=1").unwrap_err();
        assert!(!hidden.to_string().contains("pw"));
    }

    use super::*;

    #[test]
    fn url_parts_are_percent_encoded_one_by_one() {
        assert_eq!(
            join_url(
                "http://h/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/",
                "a b/c#1?.txt"
            ),
            "http://h/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/a%20b/c%231%3F.txt"
        );
        assert_eq!(join_url("http://h/x", ""), "http://h/x");
    }

    #[test]
    fn listed_paths_that_leave_the_destination_are_refused() {
        for bad in ["../x", "a/../../x", "/etc/passwd", "a\\b", "a#b", ".."] {
            assert!(check_listed(bad).is_err(), "{bad}");
            assert!(beneath(Path::new("/dst"), bad).is_err(), "{bad}");
        }
        assert_eq!(
            beneath(Path::new("/dst"), "a/b.txt").unwrap(),
            Path::new("/dst/a/b.txt")
        );
        assert_eq!(beneath(Path::new("/dst"), "").unwrap(), Path::new("/dst"));
    }

    #[test]
    fn the_service_root_splits_into_server_and_path() {
        let (server, tail) =
            split_root("http://h:5/api/2.0/mlflow-artifacts/artifacts/3/r/artifacts").unwrap();
        assert_eq!((server, tail), ("http://h:5/api/2.0", "3/r/artifacts"));
        assert!(split_root("http://h/elsewhere").is_err());
    }
}
