//! `mlrs._core.set_header_provider`: the process's request-header provider, a Python callable
//! the remote client asks for headers before each request (from the caller's thread or the
//! shipper's). The engine only calls back while one is set, so logging without one never
//! touches Python.

use std::sync::Arc;

use pyo3::prelude::*;

use crate::engine::Error;
use crate::engine::remote::http::{HeaderHook, set_header_provider as install};

/// Installs `provider`, a callable taking the server's URL and returning a list of
/// `(name, value)` string pairs; None removes it.
#[pyfunction]
#[pyo3(signature = (provider))]
pub fn set_header_provider(provider: Option<Py<PyAny>>) {
    let hook = provider.map(|callable| -> HeaderHook {
        Arc::new(move |base: &str| {
            Python::try_attach(|py| {
                let answer = callable.bind(py).call1((base,)).map_err(|e| {
                    Error::invalid(format!("The request header provider raised {e}"))
                })?;
                answer.extract::<Vec<(String, String)>>().map_err(|_| {
                    Error::invalid(
                        "The request header provider must return a list of (name, value) \
                         string pairs.",
                    )
                })
            })
            .unwrap_or_else(|| {
                Err(Error::internal(
                    "The Python interpreter is shutting down; the request header provider \
                     cannot be asked for headers.",
                ))
            })
        })
    });
    install(hook);
}
