//! Wall-clock milliseconds, the unit MLflow stores every timestamp in.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, as `int(time.time() * 1000)` gives in Python.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
