//! The per-series cache behind `mlrs ui`'s charts: every point of a (run, metric key) as
//! columns in memory, sorted by step, kept current as points are committed.
//!
//! A cold series is read once (one index range scan). After that, each request first reads
//! `max(rowid)` of the metrics table (one b-tree descent): SQLite hands out increasing rowids,
//! so an unchanged maximum means no point was added anywhere and the cached copy is current.
//! When it moved, only the tail is read: the rows of the series at or after its last step whose
//! rowid is above the maximum seen at the last sync (an index range scan from the last step).
//! A point logged later at a *lower* step (rare: a backfill) is caught by a count check of the
//! series, done at most once per `RECOUNT_INTERVAL` per series when the table has changed; a
//! different count reloads the series. Memory is bounded by a point budget; the least recently
//! used series are dropped first.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rusqlite::Connection;

use crate::engine::error::Result;

/// How often, by default, a changing table triggers a recount of a cached series (for late,
/// lower-step points and deletions).
pub const RECOUNT_INTERVAL: Duration = Duration::from_secs(1);

/// Every point of one series, sorted by (step, timestamp, value). Values are as logged: NaN,
/// and ±inf where MLflow stored ±`f64::MAX`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Points {
    pub steps: Vec<i64>,
    pub timestamps: Vec<i64>,
    pub values: Vec<f64>,
}

impl Points {
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    fn push(&mut self, step: i64, timestamp: i64, value: f64) {
        self.steps.push(step);
        self.timestamps.push(timestamp);
        self.values.push(value);
    }

    fn order(&self, a: usize, b: usize) -> std::cmp::Ordering {
        (self.steps[a], self.timestamps[a])
            .cmp(&(self.steps[b], self.timestamps[b]))
            .then(self.values[a].total_cmp(&self.values[b]))
    }

    /// Sorts by (step, timestamp, value) unless already sorted.
    fn sort(&mut self) {
        let n = self.len();
        if (1..n).all(|i| self.order(i - 1, i).is_le()) {
            return;
        }
        let mut index: Vec<usize> = (0..n).collect();
        index.sort_by(|&a, &b| self.order(a, b));
        *self = self.select(&index);
    }

    /// The points at `index`, in that order.
    #[must_use]
    pub fn select(&self, index: &[usize]) -> Points {
        Points {
            steps: index.iter().map(|&i| self.steps[i]).collect(),
            timestamps: index.iter().map(|&i| self.timestamps[i]).collect(),
            values: index.iter().map(|&i| self.values[i]).collect(),
        }
    }

    /// The index of the first point with a step greater than `step`.
    pub fn after_step(&self, step: i64) -> usize {
        self.steps.partition_point(|&s| s <= step)
    }

    /// Adds points whose steps are all at least the last cached step, keeping the order.
    fn append_tail(&mut self, mut tail: Points) {
        if tail.is_empty() {
            return;
        }
        tail.sort();
        let first_new = tail.steps[0];
        let start = self.steps.partition_point(|&s| s < first_new);
        if start == self.len() {
            self.steps.extend(tail.steps);
            self.timestamps.extend(tail.timestamps);
            self.values.extend(tail.values);
            return;
        }
        // Merge the block of equal last steps with the new points.
        let mut block = Points {
            steps: self.steps.split_off(start),
            timestamps: self.timestamps.split_off(start),
            values: self.values.split_off(start),
        };
        block.steps.extend(tail.steps);
        block.timestamps.extend(tail.timestamps);
        block.values.extend(tail.values);
        block.sort();
        self.steps.extend(block.steps);
        self.timestamps.extend(block.timestamps);
        self.values.extend(block.values);
    }
}

/// A stored metric value as the user logged it.
#[allow(clippy::float_cmp)] // ±f64::MAX exactly is how MLflow stores ±inf
pub fn read_value(value: f64, is_nan: bool) -> f64 {
    if is_nan {
        f64::NAN
    } else if value == f64::MAX {
        f64::INFINITY
    } else if value == f64::MIN {
        f64::NEG_INFINITY
    } else {
        value
    }
}

/// The largest rowid of the metrics table (0 when empty): a counter of inserted points.
pub fn metrics_watermark(conn: &Connection) -> Result<i64> {
    Ok(
        conn.query_row("SELECT coalesce(max(rowid), 0) FROM metrics", [], |row| {
            row.get(0)
        })?,
    )
}

fn read_points(conn: &Connection, sql: &str, params: &[&dyn rusqlite::ToSql]) -> Result<Points> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(params)?;
    let mut points = Points::default();
    while let Some(row) = rows.next()? {
        points.push(
            row.get(0)?,
            row.get::<_, Option<i64>>(1)?.unwrap_or_default(),
            read_value(row.get(2)?, row.get(3)?),
        );
    }
    points.sort();
    Ok(points)
}

/// Every point of a series, read in the order of the (run_uuid, key, step) index.
pub fn load(conn: &Connection, run_id: &str, key: &str) -> Result<Points> {
    read_points(
        conn,
        "SELECT step, timestamp, value, is_nan FROM metrics WHERE run_uuid = ?1 AND key = ?2 \
         ORDER BY step",
        &[&run_id, &key],
    )
}

fn load_tail(
    conn: &Connection,
    run_id: &str,
    key: &str,
    from_step: i64,
    above_rowid: i64,
) -> Result<Points> {
    read_points(
        conn,
        "SELECT step, timestamp, value, is_nan FROM metrics WHERE run_uuid = ?1 AND key = ?2 \
         AND step >= ?3 AND rowid > ?4 ORDER BY step",
        &[&run_id, &key, &from_step, &above_rowid],
    )
}

fn count(conn: &Connection, run_id: &str, key: &str) -> Result<usize> {
    let n: i64 = conn
        .prepare_cached("SELECT count(*) FROM metrics WHERE run_uuid = ?1 AND key = ?2")?
        .query_row([run_id, key], |row| row.get(0))?;
    Ok(n as usize)
}

/// One cached series.
#[derive(Default)]
struct Slot {
    points: Option<Arc<Points>>,
    /// `metrics_watermark` when the points were last brought up to date.
    synced: i64,
    recounted: Option<Instant>,
    last_used: u64,
}

/// What a sync did, for tests and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sync {
    /// The cached copy was current.
    Hit,
    /// New points at or after the last step were appended.
    Tail,
    /// The series was read whole (cold, or its count disagreed).
    Load,
}

type Slots = HashMap<(String, String), Arc<Mutex<Slot>>>;

/// The cache: one slot per (run, key), each behind its own lock so one series loads once even
/// when several requests want it, while other series are served meanwhile.
pub struct SeriesCache {
    slots: Mutex<Slots>,
    budget_points: usize,
    recount_interval: Duration,
    clock: std::sync::atomic::AtomicU64,
}

impl SeriesCache {
    /// A cache that keeps at most about `budget_points` points (24 bytes each) in memory.
    pub fn new(budget_points: usize) -> Self {
        Self {
            slots: Mutex::new(HashMap::new()),
            budget_points,
            recount_interval: RECOUNT_INTERVAL,
            clock: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// The same cache, recounting a changed series at most once per `interval`.
    #[must_use]
    pub fn with_recount_interval(mut self, interval: Duration) -> Self {
        self.recount_interval = interval;
        self
    }

    /// The series' points, current as of `watermark` (read by the caller with
    /// `metrics_watermark` in the same read transaction as `conn` is in).
    pub fn get(
        &self,
        conn: &Connection,
        watermark: i64,
        run_id: &str,
        key: &str,
    ) -> Result<(Arc<Points>, Sync)> {
        let slot = {
            let mut slots = self.slots.lock();
            Arc::clone(
                slots
                    .entry((run_id.to_owned(), key.to_owned()))
                    .or_default(),
            )
        };
        let mut slot = slot.lock();
        slot.last_used = self
            .clock
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let outcome = sync_slot(
            &mut slot,
            conn,
            watermark,
            self.recount_interval,
            run_id,
            key,
        )?;
        let points = slot.points.clone().unwrap_or_default();
        drop(slot);
        if outcome != Sync::Hit {
            self.evict(run_id, key);
        }
        Ok((points, outcome))
    }

    /// Drops least recently used series (never the one just used) while over budget.
    fn evict(&self, run_id: &str, key: &str) {
        let mut slots = self.slots.lock();
        let mut sizes: Vec<((String, String), u64, usize)> = slots
            .iter()
            .filter_map(|(k, slot)| {
                let slot = slot.try_lock()?;
                let len = slot.points.as_ref().map_or(0, |p| p.len());
                Some((k.clone(), slot.last_used, len))
            })
            .collect();
        let mut total: usize = sizes.iter().map(|s| s.2).sum();
        if total <= self.budget_points {
            return;
        }
        sizes.sort_by_key(|s| s.1);
        for (k, _, len) in sizes {
            if total <= self.budget_points {
                break;
            }
            if k.0 == run_id && k.1 == key {
                continue;
            }
            slots.remove(&k);
            total -= len;
        }
    }

    /// How many points the cache holds (for tests).
    pub fn cached_points(&self) -> usize {
        self.slots
            .lock()
            .values()
            .map(|s| s.lock().points.as_ref().map_or(0, |p| p.len()))
            .sum()
    }
}

fn sync_slot(
    slot: &mut Slot,
    conn: &Connection,
    watermark: i64,
    recount_interval: Duration,
    run_id: &str,
    key: &str,
) -> Result<Sync> {
    let Some(points) = slot.points.as_mut() else {
        slot.points = Some(Arc::new(load(conn, run_id, key)?));
        slot.synced = watermark;
        slot.recounted = Some(Instant::now());
        return Ok(Sync::Load);
    };
    if watermark == slot.synced {
        return Ok(Sync::Hit);
    }
    let recount_due = slot
        .recounted
        .is_none_or(|at| at.elapsed() >= recount_interval);
    let from_step = points.steps.last().copied().unwrap_or(i64::MIN);
    let tail = load_tail(conn, run_id, key, from_step, slot.synced)?;
    let grew = !tail.is_empty();
    if grew {
        Arc::make_mut(points).append_tail(tail);
    }
    let mut outcome = if grew { Sync::Tail } else { Sync::Hit };
    if recount_due || watermark < slot.synced {
        slot.recounted = Some(Instant::now());
        if count(conn, run_id, key)? != points.len() {
            *points = Arc::new(load(conn, run_id, key)?);
            outcome = Sync::Load;
        }
    }
    slot.synced = watermark;
    Ok(outcome)
}

#[cfg(test)]
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;
    use crate::engine::store::testing::{new_run, open};

    fn log(store: &crate::engine::Store, run_id: &str, key: &str, value: f64, step: i64) {
        store
            .enqueue(
                store
                    .metric_op(run_id, key, value, Some(step * 10), step)
                    .unwrap(),
            )
            .unwrap();
    }

    fn fetch(
        cache: &SeriesCache,
        store: &crate::engine::Store,
        run_id: &str,
        key: &str,
    ) -> (Arc<Points>, Sync) {
        store.flush().unwrap();
        let conn = store.open_read_connection().unwrap();
        let watermark = metrics_watermark(&conn).unwrap();
        cache.get(&conn, watermark, run_id, key).unwrap()
    }

    #[test]
    fn the_cache_follows_new_points() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let run_id = new_run(&store);
        for step in 0..100 {
            log(&store, &run_id, "loss", f64::from(step as i32), step);
        }
        let cache = SeriesCache::new(1_000_000);
        let (points, how) = fetch(&cache, &store, &run_id, "loss");
        assert_eq!((points.len(), how), (100, Sync::Load));
        assert_eq!(fetch(&cache, &store, &run_id, "loss").1, Sync::Hit);

        // New steps arrive: only the tail is read.
        log(&store, &run_id, "loss", 1000.0, 100);
        log(&store, &run_id, "loss", 999.0, 99);
        log(&store, &run_id, "other", 1.0, 5);
        let (points, how) = fetch(&cache, &store, &run_id, "loss");
        assert_eq!(how, Sync::Tail);
        assert_eq!(points.len(), 102);
        assert_eq!(&points.steps[98..], [98, 99, 99, 100]);
        assert_eq!(&points.values[99..], [99.0, 999.0, 1000.0]);
        assert_eq!(
            *points,
            load(&store.open_read_connection().unwrap(), &run_id, "loss").unwrap()
        );
    }

    #[test]
    fn a_late_lower_step_is_caught_by_the_recount() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let run_id = new_run(&store);
        for step in [0, 1, 2, 5] {
            log(&store, &run_id, "m", 1.0, step);
        }
        let cache = SeriesCache::new(1_000_000).with_recount_interval(Duration::ZERO);
        fetch(&cache, &store, &run_id, "m");
        log(&store, &run_id, "m", 7.0, 3);
        let (points, how) = fetch(&cache, &store, &run_id, "m");
        assert_eq!(how, Sync::Load);
        assert_eq!(points.steps, [0, 1, 2, 3, 5]);
        assert_eq!(points.values[3], 7.0);
        // With the default interval the cache waits before recounting, but the tail still
        // arrives at once.
        let cache = SeriesCache::new(1_000_000);
        fetch(&cache, &store, &run_id, "m");
        log(&store, &run_id, "m", 8.0, 6);
        let (points, how) = fetch(&cache, &store, &run_id, "m");
        assert_eq!((how, points.len()), (Sync::Tail, 6));
    }

    #[test]
    fn infinities_and_nan_read_back_as_logged() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let run_id = new_run(&store);
        log(&store, &run_id, "m", f64::INFINITY, 0);
        log(&store, &run_id, "m", f64::NEG_INFINITY, 1);
        log(&store, &run_id, "m", f64::NAN, 2);
        let cache = SeriesCache::new(10);
        let (points, _) = fetch(&cache, &store, &run_id, "m");
        assert_eq!(points.values[0], f64::INFINITY);
        assert_eq!(points.values[1], f64::NEG_INFINITY);
        assert!(points.values[2].is_nan());
    }

    #[test]
    fn the_budget_drops_least_recently_used_series() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let run_id = new_run(&store);
        for key in ["a", "b", "c"] {
            for step in 0..10 {
                log(&store, &run_id, key, 0.0, step);
            }
        }
        let cache = SeriesCache::new(25);
        fetch(&cache, &store, &run_id, "a");
        fetch(&cache, &store, &run_id, "b");
        assert_eq!(cache.cached_points(), 20);
        fetch(&cache, &store, &run_id, "c");
        assert_eq!(cache.cached_points(), 20, "a was dropped");
        assert_eq!(fetch(&cache, &store, &run_id, "b").1, Sync::Hit);
        assert_eq!(fetch(&cache, &store, &run_id, "a").1, Sync::Load);
    }

    #[test]
    fn unknown_series_are_empty() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let cache = SeriesCache::new(10);
        assert!(fetch(&cache, &store, "nope", "m").0.is_empty());
    }
}
