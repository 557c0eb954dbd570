//! Multipart uploads through the artifact proxy, as MLflow 3.18's `HttpArtifactRepository`
//! makes them: when the server's artifact store can take one (the server advertises it, or
//! `MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD` says so) and the file is large enough, the client asks
//! the server to create the upload (`POST /mlflow-artifacts/mpu/create/<path>`), sends each
//! part straight to the storage at the presigned URL the server hands out, then completes the
//! upload with the parts' ETags, or aborts it when anything failed, so that no half object is
//! left behind. A server whose store has no multipart upload answers 501; the file then goes
//! as one streamed `PUT` through the proxy, unless the server takes presigned transfers only.
//!
//! Each part streams from its place in the file to the socket (no part is held in memory);
//! parts go in parallel, as many at once as MLflow's thread pool runs.

use std::fs::File;
use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use parking_lot::Mutex;
use serde_json::{Value, json};

use super::artifacts::{
    Body, SERVICE, at, failure_of, http_error, join_url, retried, transport_message,
};
use super::http::{Client, Failure, env, env_number};
use crate::engine::error::{Error, ErrorCode, Result};

/// What the server says when its artifact store has no multipart upload (MLflow's
/// `_UnsupportedMultipartUploadException.MESSAGE`); older servers say it with another status
/// than 501.
const UNSUPPORTED: &str = "Multipart upload is not supported for the current artifact repository";

/// MLflow's most parts in flight at once: two per CPU, at most 20.
const MAX_WORKERS: usize = 20;

/// `MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE` (MLflow's default: 500 MB): smaller files go
/// as one `PUT`. Read only when multipart is on, as MLflow reads it.
fn minimum_size() -> Result<u64> {
    env_number(
        "MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE",
        500 * 1024 * 1024,
    )
}

/// `MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE` (MLflow's default: 10 MB): the size of each part but
/// the last. Read only for an upload in parts.
fn chunk_size() -> Result<u64> {
    let chunk_size = env_number("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", 10 * 1024 * 1024)?;
    if chunk_size == 0 {
        return Err(Error::invalid(
            "MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE must be a positive number of bytes.",
        ));
    }
    Ok(chunk_size)
}

/// A boolean variable as MLflow reads one: `true`/`false`/`1`/`0` in any case, anything else
/// refused.
fn env_bool(name: &str) -> Result<Option<bool>> {
    let Some(value) = env(name) else {
        return Ok(None);
    };
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(Some(true)),
        "false" | "0" => Ok(Some(false)),
        _ => Err(Error::invalid(format!(
            "{name} value must be one of ['true', 'false', '1', '0'] (case-insensitive), but got \
             {value}"
        ))),
    }
}

/// What a server advertises of its artifact store.
#[derive(Debug, Clone, Copy, Default)]
struct Capabilities {
    multipart_uploads: bool,
    presigned_only: bool,
}

/// The artifact root's server (its URL up to `/api/2.0`) and the root's path under the
/// service, for a root on MLflow's canonical artifact service; None for another HTTP location,
/// which has no multipart endpoints.
fn service_parts(root: &str) -> Option<(&str, &str)> {
    let (server, tail) = root.split_once(SERVICE)?;
    if !(tail.is_empty() || tail.starts_with('/')) || !server.ends_with("/api/2.0") {
        return None;
    }
    Some((server, tail.trim_start_matches('/')))
}

/// The server's capabilities, asked once per client; a server that does not answer advertises
/// nothing (and is asked again at the next upload).
fn capabilities(client: &Client, server: &str) -> Capabilities {
    let Some(deployment) = server.strip_suffix("/api/2.0") else {
        return Capabilities::default();
    };
    let Some(info) = client.server_info(deployment) else {
        return Capabilities::default();
    };
    let flag = |key: &str| info.get(key).and_then(Value::as_bool).unwrap_or(false);
    Capabilities {
        multipart_uploads: flag("multipart_uploads_enabled"),
        presigned_only: flag("artifacts_presigned_only"),
    }
}

/// One part's presigned request, as the server hands it out.
struct Credential {
    url: String,
    part_number: u64,
    headers: Vec<(String, String)>,
}

/// A created upload: its id at the storage (None for stores without one) and the parts'
/// credentials.
struct Created {
    upload_id: Value,
    credentials: Vec<Credential>,
}

/// Uploads `local` (`size` bytes) in parts when the server and the settings call for it, as
/// `<root>/<artifact_path>/<name>`. Returns false when the file should go as one `PUT`
/// instead: multipart is off, the file is below the minimum size, or the server's store has
/// no multipart upload.
pub fn upload(
    client: &Client,
    root: &str,
    local: &Path,
    artifact_path: &str,
    name: &str,
    size: u64,
) -> Result<bool> {
    let Some((server, tail)) = service_parts(root) else {
        return Ok(false);
    };
    // Presigned-only servers are asked first, as MLflow asks: they refuse proxied bytes
    // whatever the settings say.
    let capabilities = capabilities(client, server);
    // `MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD`, when set, overrides what the server advertises.
    let enabled =
        env_bool("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD")?.unwrap_or(capabilities.multipart_uploads);
    let wanted = capabilities.presigned_only || (enabled && size >= minimum_size()?);
    if !wanted {
        return Ok(false);
    }
    let chunk_size = chunk_size()?;
    // The root's own path as the root has it (the `PUT`s use it so too); the artifact path
    // encoded part by part.
    let endpoint = |action: &str| {
        join_url(
            &format!("{server}/mlflow-artifacts/mpu/{action}/{tail}"),
            artifact_path,
        )
    };
    let parts = size.div_ceil(chunk_size).max(1);
    let create_url = endpoint("create");
    let body = json!({"path": name, "num_parts": parts});
    let created = match retried(client, "POST", &create_url, &[], &Body::Json(&body), None)? {
        Ok(response) => parse_created(response, &create_url)?,
        Err(failure) if is_unsupported(&failure) && !capabilities.presigned_only => {
            return Ok(false);
        }
        Err(failure) if is_unsupported(&failure) => {
            return Err(Error::with_code(
                ErrorCode::from_http_status(501),
                UNSUPPORTED,
            ));
        }
        Err(failure) => {
            return Err(http_error(
                "POST",
                &create_url,
                &failure,
                client.settings.max_retries,
            ));
        }
    };
    let outcome = send_parts(client, &created, local, size, chunk_size, parts).and_then(|etags| {
        let mut sent: Vec<_> = created.credentials.iter().zip(etags).collect();
        sent.sort_by_key(|(c, _)| c.part_number);
        let parts: Vec<Value> = sent
            .into_iter()
            .map(|(c, etag)| json!({"part_number": c.part_number, "etag": etag, "url": c.url}))
            .collect();
        let body = json!({"path": name, "upload_id": created.upload_id, "parts": parts});
        post(client, &endpoint("complete"), &body)
    });
    if let Err(error) = outcome {
        let body = json!({"path": name, "upload_id": created.upload_id});
        if let Err(abort) = post(client, &endpoint("abort"), &body) {
            return Err(Error::with_code(
                error.code(),
                format!("{error} (aborting the multipart upload failed too: {abort})"),
            ));
        }
        return Err(error);
    }
    Ok(true)
}

/// True for the server's answer that its store has no multipart upload: 501, or MLflow's
/// message with another status (older servers).
fn is_unsupported(failure: &Failure) -> bool {
    let Failure::Status { status, body } = failure else {
        return false;
    };
    *status == 501
        || serde_json::from_str::<Value>(body).is_ok_and(|json| {
            json.get("message")
                .and_then(Value::as_str)
                .is_some_and(|m| m.starts_with(UNSUPPORTED))
        })
}

fn post(client: &Client, url: &str, body: &Value) -> Result<()> {
    retried(client, "POST", url, &[], &Body::Json(body), None)?
        .map(drop)
        .map_err(|failure| http_error("POST", url, &failure, client.settings.max_retries))
}

fn parse_created(response: ureq::http::Response<ureq::Body>, url: &str) -> Result<Created> {
    let bad = || Error::internal(format!("The answer of {url} is not a multipart upload."));
    let text = response
        .into_body()
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_to_string()
        .map_err(|e| Error::internal(format!("Reading the answer of {url}: {e}")))?;
    let json: Value = serde_json::from_str(&text).map_err(|_| bad())?;
    let mut credentials = Vec::new();
    for credential in json
        .get("credentials")
        .and_then(Value::as_array)
        .ok_or_else(bad)?
    {
        let url = credential
            .get("url")
            .and_then(Value::as_str)
            .ok_or_else(bad)?;
        let part_number = match credential.get("part_number") {
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) => s.parse().ok(),
            _ => None,
        }
        .ok_or_else(bad)?;
        let headers = credential
            .get("headers")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
            .collect();
        credentials.push(Credential {
            url: url.to_owned(),
            part_number,
            headers,
        });
    }
    Ok(Created {
        upload_id: json.get("upload_id").cloned().unwrap_or(Value::Null),
        credentials,
    })
}

/// Sends every part, in parallel, and returns their ETags in the credentials' order. The
/// first failure stops the parts not yet started; every failure is reported.
fn send_parts(
    client: &Client,
    created: &Created,
    local: &Path,
    size: u64,
    chunk_size: u64,
    parts: u64,
) -> Result<Vec<String>> {
    // A server handing out fewer URLs than parts would have the object completed short.
    if created.credentials.len() as u64 != parts {
        return Err(Error::internal(format!(
            "The server created a multipart upload of {} parts for {} ({parts} were asked for).",
            created.credentials.len(),
            local.display()
        )));
    }
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get() * 2)
        .min(MAX_WORKERS)
        .min(created.credentials.len());
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let etags = Mutex::new(vec![String::new(); created.credentials.len()]);
    let errors = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(credential) = created.credentials.get(index) else {
                        break;
                    };
                    let start = chunk_size * index as u64;
                    let len = chunk_size.min(size.saturating_sub(start));
                    match send_part(client, credential, local, start, len) {
                        Ok(etag) => etags.lock()[index] = etag,
                        Err(e) => {
                            stop.store(true, Ordering::Relaxed);
                            errors.lock().push((credential.part_number, e));
                        }
                    }
                }
            });
        }
    });
    let mut errors = errors.into_inner();
    if errors.is_empty() {
        return Ok(etags.into_inner());
    }
    errors.sort_by_key(|(part, _)| *part);
    let listed: Vec<String> = errors
        .iter()
        .map(|(part, e)| format!("part {part}: {e}"))
        .collect();
    Err(Error::internal(format!(
        "Failed to upload at least one part of {}. Errors: {}",
        local.display(),
        listed.join("; ")
    )))
}

/// One part: `len` bytes of `local` from `start`, streamed to the presigned URL with the
/// credential's headers (and none of the tracking server's). Sent once, as MLflow sends it.
fn send_part(
    client: &Client,
    credential: &Credential,
    local: &Path,
    start: u64,
    len: u64,
) -> Result<String> {
    let mut file = File::open(local).map_err(at(local))?;
    file.seek(SeekFrom::Start(start)).map_err(at(local))?;
    let mut body = file.take(len);
    let timeout = Some(client.settings.timeout);
    let mut request = client
        .storage_agent()
        .put(&credential.url)
        .config()
        .timeout_global(None)
        .timeout_connect(timeout)
        .timeout_recv_response(timeout)
        .build();
    for (name, value) in &credential.headers {
        request = request.header(name, value);
    }
    // The storage needs the part's length up front (S3 refuses chunked uploads to presigned
    // URLs); the part is streamed all the same.
    let sent = request
        .header("Content-Length", len.to_string())
        .send(ureq::SendBody::from_reader(&mut body));
    // The presigned URL's query is its signature: kept out of messages.
    let shown = url::Url::parse(&credential.url).map_or_else(
        |_| "the part's presigned URL".to_owned(),
        |mut u| {
            u.set_query(None);
            u.to_string()
        },
    );
    let failure = match sent {
        Ok(response) if response.status().is_success() => {
            return Ok(response
                .headers()
                .get("ETag")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned());
        }
        Ok(mut response) => failure_of(&mut response),
        Err(e) => {
            return Err(Error::internal(format!(
                "PUT {shown} failed: {}.",
                transport_message(&e)
            )));
        }
    };
    Err(http_error("PUT", &shown, &failure, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_roots_on_the_artifact_service_have_multipart_endpoints() {
        assert_eq!(
            service_parts("http://h:5/api/2.0/mlflow-artifacts/artifacts/0/r/artifacts"),
            Some(("http://h:5/api/2.0", "0/r/artifacts"))
        );
        assert_eq!(
            service_parts("http://h/p/api/2.0/mlflow-artifacts/artifacts"),
            Some(("http://h/p/api/2.0", ""))
        );
        assert_eq!(service_parts("http://h/files/0/r"), None);
        assert_eq!(
            service_parts("http://h/api/2.0/mlflow-artifacts/artifactsx/0"),
            None
        );
        assert_eq!(service_parts("http://h/mlflow-artifacts/artifacts/0"), None);
    }

    #[test]
    fn the_server_says_unsupported_with_501_or_mlflows_message() {
        let status = |status, body: &str| Failure::Status {
            status,
            body: body.to_owned(),
        };
        assert!(is_unsupported(&status(501, "")));
        let message = format!(r#"{{"error_code": "INTERNAL_ERROR", "message": "{UNSUPPORTED}"}}"#);
        assert!(is_unsupported(&status(500, &message)));
        assert!(!is_unsupported(&status(500, r#"{"message": "boom"}"#)));
        assert!(!is_unsupported(&status(403, "")));
        assert!(!is_unsupported(&Failure::Transport("reset".to_owned())));
    }
}
