//! Files: the single-page app's assets (with `index.html` for client-side routes), the pages
//! shown when the assets are not built or the database is not MLflow's, and artifact downloads
//! with ranges (tower-http's `ServeFile`: Range, 206/416, content type by extension).

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State as Shared};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

use super::State;

/// The SPA's `index.html`, when the assets are built.
pub fn assets_index(state: &State) -> Option<PathBuf> {
    let index = state.assets_dir.as_ref()?.join("index.html");
    index.is_file().then_some(index)
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title><style>\
         body{{font-family:system-ui,sans-serif;max-width:46rem;margin:4rem auto;padding:0 1rem;\
         line-height:1.5;color:#222}}code,pre{{background:#f3f3f3;padding:.1rem .3rem;\
         border-radius:3px}}pre{{padding:.6rem}}</style></head><body><h1>{title}</h1>{body}\
         </body></html>"
    );
    let mut response = (status, Html(html)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn not_built_page(state: &State) -> Response {
    let dir = state.assets_dir.as_ref().map_or_else(
        || "python/mlrs/ui_assets".to_owned(),
        |d| d.display().to_string(),
    );
    page(
        StatusCode::OK,
        "mlrs ui: the web app is not built",
        &format!(
            "<p>The server is running and its JSON API answers under <code>/api/</code>, but \
             the single-page app's files were not found in <code>{}</code>.</p>\
             <p>Build them from a clone of mlrs (needs Node.js and npm):</p>\
             <pre>make ui</pre><p>or</p><pre>cd ui &amp;&amp; npm ci &amp;&amp; npm run build</pre>\
             <p>then reload this page. Wheels of mlrs ship with the app built.</p>",
            escape(&dir)
        ),
    )
}

fn not_mlflow_page(reason: &str) -> Response {
    page(
        StatusCode::SERVICE_UNAVAILABLE,
        "mlrs ui: this is not an MLflow tracking database",
        &format!(
            "<p>{}</p><p>Start <code>mlrs ui</code> with <code>--backend-store-uri \
             sqlite:///path/to/mlflow.db</code> naming a database written by MLflow or mlrs \
             (or a new file, which becomes an empty MLflow store).</p>",
            escape(reason)
        ),
    )
}

/// Everything that is not `/api/...`: a file of the SPA, or `index.html` for its routes.
pub async fn static_file(Shared(state): Shared<Arc<State>>, request: Request) -> Response {
    if state.remote.is_none()
        && let Err(reason) = state.store()
    {
        return not_mlflow_page(reason);
    }
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let (Some(dir), Some(index)) = (state.assets_dir.clone(), assets_index(&state)) else {
        return not_built_page(&state);
    };
    let service = ServeDir::new(&dir)
        .precompressed_gzip()
        .precompressed_br()
        .fallback(ServeFile::new(index));
    let is_asset = request.uri().path().starts_with("/assets/");
    match service.oneshot(request).await {
        Ok(response) => {
            let mut response = response.map(Body::new);
            // Built asset names carry a content hash; index.html must be re-read to see a new
            // build.
            let cache = if is_asset && response.status().is_success() {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            };
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
            response
        }
        Err(never) => match never {},
    }
}

/// Content types served as UTF-8 text.
fn is_text(kind: &str) -> bool {
    kind.starts_with("text/")
        || kind.starts_with("application/json")
        || kind.contains("yaml")
        || kind.contains("javascript")
        || kind.ends_with("+xml")
        || kind == "application/xml"
}

/// A confined, existing artifact file, answered with its bytes (or the requested range).
pub async fn artifact_file(file: PathBuf, request: Request) -> Response {
    match ServeFile::new(&file).oneshot(request).await {
        Ok(response) => {
            let mut response = response.map(Body::new);
            let headers = response.headers_mut();
            if let Some(kind) = headers.get(header::CONTENT_TYPE)
                && let Ok(kind) = kind.to_str()
                && is_text(kind)
                && !kind.contains("charset")
                && let Ok(value) = HeaderValue::from_str(&format!("{kind}; charset=utf-8"))
            {
                headers.insert(header::CONTENT_TYPE, value);
            }
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("sandbox"),
            );
            headers.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            response
        }
        Err(never) => match never {},
    }
}
