//! System metrics as MLflow 3.18 logs them (`start_run(log_system_metrics=True)`): a background
//! thread samples the machine every `interval`, averages `samples_before_logging` samples and
//! publishes them as one step (0, 1, 2, ...) under `system/...` names, until it is stopped.
//!
//! The numbers are the ones MLflow reads through psutil, read here from the kernel directly:
//! - CPU: system-wide busy time over total time since the previous sample (`/proc/stat`;
//!   guest time is part of user/nice, iowait counts as idle), in percent, one decimal.
//! - Memory: `MemTotal - MemAvailable` (`/proc/meminfo`) in megabytes (10^6 bytes) and percent.
//! - Disk of `/`: used (`f_blocks - f_bfree`), available (`f_bavail`) in megabytes, and
//!   `used / (used + available)` in percent, one decimal (`statvfs`).
//! - Network: bytes received and sent over every interface (`/proc/net/dev`) since the monitor
//!   started, in megabytes; the last value, not an average.
//! - GPU (NVIDIA, when `libnvidia-ml` can be loaded at run time): per device `gpu_{i}_...`
//!   memory used (megabytes, percent), utilisation, power (watts, percent of the enforced limit).
//!
//! Averages are rounded to one decimal, as MLflow's monitors round them. What cannot be read on
//! this system is left out rather than reported as zero.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};

use crate::engine::error::{Error, Result};

const MB: f64 = 1e6;

fn round1(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

/// Jiffies from the first line of `/proc/stat`: (busy, total).
fn parse_cpu_times(stat: &str) -> Option<(u64, u64)> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let fields: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    let get = |i: usize| fields.get(i).copied().unwrap_or(0);
    // user nice system idle iowait irq softirq steal guest guest_nice
    let total = fields.iter().sum::<u64>().saturating_sub(get(8) + get(9));
    let busy = total.saturating_sub(get(3) + get(4));
    Some((busy, total))
}

/// (used, total) bytes from `/proc/meminfo`, as psutil computes `used` since 4.4.
fn parse_memory(meminfo: &str) -> Option<(f64, f64)> {
    let field = |name: &str| -> Option<f64> {
        let line = meminfo.lines().find(|l| l.starts_with(name))?;
        let kb: f64 = line[name.len()..].split_whitespace().next()?.parse().ok()?;
        Some(kb * 1024.0)
    };
    let total = field("MemTotal:")?;
    let mut available = field("MemAvailable:").unwrap_or(0.0);
    if available <= 0.0 {
        // Old kernels (or the rare zero): the estimate `free` makes.
        available =
            field("MemFree:")? + field("Buffers:").unwrap_or(0.0) + field("Cached:").unwrap_or(0.0);
    }
    if available > total {
        available = field("MemFree:").unwrap_or(available);
    }
    Some((total - available.max(0.0), total))
}

/// Bytes (received, sent) summed over the interfaces of `/proc/net/dev`.
fn parse_network(dev: &str) -> Option<(u64, u64)> {
    let mut sums = None;
    for line in dev.lines().skip(2) {
        let Some((_, counters)) = line.split_once(':') else {
            continue;
        };
        let values: Vec<u64> = counters
            .split_whitespace()
            .map(|v| v.parse().unwrap_or(0))
            .collect();
        if values.len() >= 9 {
            let (rx, tx) = sums.get_or_insert((0u64, 0u64));
            *rx += values[0];
            *tx += values[8];
        }
    }
    sums
}

fn read(path: &str) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// The NVIDIA devices, through NVML loaded at run time; absent without a driver.
struct Gpus {
    nvml: nvml_wrapper::Nvml,
    count: u32,
}

impl Gpus {
    fn load() -> Option<Self> {
        let nvml = nvml_wrapper::Nvml::init().ok()?;
        let count = nvml.device_count().ok()?;
        Some(Self { nvml, count })
    }

    fn sample(&self, out: &mut Vec<(String, f64)>) {
        for i in 0..self.count {
            let Ok(device) = self.nvml.device_by_index(i) else {
                continue;
            };
            if let Ok(memory) = device.memory_info() {
                let (used, total) = (memory.used as f64, memory.total as f64);
                if total > 0.0 {
                    out.push((
                        format!("gpu_{i}_memory_usage_percentage"),
                        round1(used / total * 100.0),
                    ));
                }
                out.push((format!("gpu_{i}_memory_usage_megabytes"), used / MB));
            }
            if let Ok(rates) = device.utilization_rates() {
                out.push((
                    format!("gpu_{i}_utilization_percentage"),
                    f64::from(rates.gpu),
                ));
            }
            if let (Ok(power), Ok(limit)) = (device.power_usage(), device.enforced_power_limit()) {
                out.push((
                    format!("gpu_{i}_power_usage_watts"),
                    f64::from(power) / 1000.0,
                ));
                if limit > 0 {
                    out.push((
                        format!("gpu_{i}_power_usage_percentage"),
                        f64::from(power) / f64::from(limit) * 100.0,
                    ));
                }
            }
        }
    }
}

/// Reads one sample of the machine's state at a time.
pub struct Sampler {
    disk: PathBuf,
    cpu_before: Option<(u64, u64)>,
    network_start: Option<(u64, u64)>,
    gpus: Option<Gpus>,
}

impl Sampler {
    /// Starts from the machine's state now: CPU use and network traffic count from here.
    /// `with_gpus` loads NVML if it is there.
    pub fn new(disk: &Path, with_gpus: bool) -> Self {
        Self {
            disk: disk.to_owned(),
            cpu_before: read("/proc/stat").as_deref().and_then(parse_cpu_times),
            network_start: read("/proc/net/dev").as_deref().and_then(parse_network),
            gpus: if with_gpus { Gpus::load() } else { None },
        }
    }

    /// One sample: `(name without the system/ prefix, value)` pairs.
    pub fn sample(&mut self) -> Vec<(String, f64)> {
        let mut out = Vec::with_capacity(12);
        if let Some(now) = read("/proc/stat").as_deref().and_then(parse_cpu_times) {
            let percent = match self.cpu_before {
                Some((busy, total)) if now.1 > total => {
                    now.0.saturating_sub(busy) as f64 / (now.1 - total) as f64 * 100.0
                }
                _ => 0.0,
            };
            out.push(("cpu_utilization_percentage".to_owned(), round1(percent)));
            self.cpu_before = Some(now);
        }
        if let Some((used, total)) = read("/proc/meminfo").as_deref().and_then(parse_memory) {
            out.push(("system_memory_usage_megabytes".to_owned(), used / MB));
            if total > 0.0 {
                out.push((
                    "system_memory_usage_percentage".to_owned(),
                    used / total * 100.0,
                ));
            }
        }
        if let Ok(fs) = rustix::fs::statvfs(&self.disk) {
            let block = fs.f_frsize as f64;
            let used = fs.f_blocks.saturating_sub(fs.f_bfree) as f64 * block;
            let free = fs.f_bavail as f64 * block;
            if used + free > 0.0 {
                out.push((
                    "disk_usage_percentage".to_owned(),
                    round1(used / (used + free) * 100.0),
                ));
            }
            out.push(("disk_usage_megabytes".to_owned(), used / MB));
            out.push(("disk_available_megabytes".to_owned(), free / MB));
        }
        if let (Some((rx0, tx0)), Some((rx, tx))) = (
            self.network_start,
            read("/proc/net/dev").as_deref().and_then(parse_network),
        ) {
            out.push((
                "network_receive_megabytes".to_owned(),
                rx.saturating_sub(rx0) as f64 / MB,
            ));
            out.push((
                "network_transmit_megabytes".to_owned(),
                tx.saturating_sub(tx0) as f64 / MB,
            ));
        }
        if let Some(gpus) = &self.gpus {
            gpus.sample(&mut out);
        }
        out
    }
}

/// Samples gathered for one step: averaged (one decimal), except the network counters, which
/// are cumulative and keep their last value.
#[derive(Default)]
pub struct Aggregate {
    sums: BTreeMap<String, (f64, u32)>,
    last: BTreeMap<String, f64>,
}

impl Aggregate {
    pub fn add(&mut self, sample: Vec<(String, f64)>) {
        for (name, value) in sample {
            if name.starts_with("network_") {
                self.last.insert(name, value);
            } else {
                let entry = self.sums.entry(name).or_insert((0.0, 0));
                entry.0 += value;
                entry.1 += 1;
            }
        }
    }

    /// The step's values, leaving the aggregate empty.
    pub fn take(&mut self) -> Vec<(String, f64)> {
        let mut out: Vec<(String, f64)> = std::mem::take(&mut self.sums)
            .into_iter()
            .map(|(name, (sum, n))| (name, round1(sum / f64::from(n))))
            .collect();
        out.extend(std::mem::take(&mut self.last));
        out
    }
}

/// How a monitor samples and names what it publishes.
#[derive(Debug, Clone)]
pub struct MonitorConfig {
    pub interval: Duration,
    pub samples_before_logging: u32,
    /// `system/`, or `system/<node id>/`.
    pub prefix: String,
    /// 0 for a new run; one past the last system step when a run is resumed.
    pub first_step: i64,
    /// The file system whose usage is reported (`/`).
    pub disk: PathBuf,
    pub with_gpus: bool,
}

/// Receives each step's metrics (full names) and its step; returns false to stop the monitor
/// (the run or its store is gone).
pub type Publish = Box<dyn FnMut(Vec<(String, f64)>, i64) -> bool + Send>;

#[derive(Default)]
struct Stop {
    requested: Mutex<bool>,
    wake: Condvar,
}

/// The `mlrs-sysmetrics` thread of one run.
pub struct Monitor {
    stop: Arc<Stop>,
    handle: Option<JoinHandle<()>>,
}

impl Monitor {
    pub fn start(config: MonitorConfig, mut publish: Publish) -> Result<Self> {
        let signal = Arc::new(Stop::default());
        let thread_stop = Arc::clone(&signal);
        let handle = std::thread::Builder::new()
            .name("mlrs-sysmetrics".to_owned())
            .spawn(move || {
                let mut sampler = Sampler::new(&config.disk, config.with_gpus);
                let mut aggregate = Aggregate::default();
                let mut step = config.first_step;
                loop {
                    // As MLflow: sample, wait an interval, and publish every `samples` samples;
                    // a stop during the wait drops the samples not yet published.
                    for _ in 0..config.samples_before_logging.max(1) {
                        aggregate.add(sampler.sample());
                        let mut requested = thread_stop.requested.lock();
                        if !*requested {
                            thread_stop.wake.wait_for(&mut requested, config.interval);
                        }
                        if *requested {
                            return;
                        }
                    }
                    let metrics = aggregate
                        .take()
                        .into_iter()
                        .map(|(name, value)| (format!("{}{name}", config.prefix), value))
                        .collect();
                    if !publish(metrics, step) {
                        return;
                    }
                    step += 1;
                }
            })
            .map_err(|e| Error::internal(format!("cannot start the system metrics thread: {e}")))?;
        Ok(Self {
            stop: signal,
            handle: Some(handle),
        })
    }

    /// Stops sampling and waits for the thread to end (at most the time one publish takes).
    pub fn stop(&mut self) {
        *self.stop.requested.lock() = true;
        self.stop.wake.notify_all();
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }

    pub fn is_running(&self) -> bool {
        self.handle.as_ref().is_some_and(|h| !h.is_finished())
    }
}

impl Drop for Monitor {
    /// Signals the thread; `stop` is the way to wait for it.
    fn drop(&mut self) {
        *self.stop.requested.lock() = true;
        self.stop.wake.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_times_leave_out_guest_and_count_iowait_as_idle() {
        let stat = "cpu  100 10 50 800 40 0 0 0 20 5\ncpu0 1 2 3 4\n";
        // total = 1025 - 25 = 1000; busy = 1000 - 800 - 40 = 160
        assert_eq!(parse_cpu_times(stat), Some((160, 1000)));
    }

    #[test]
    fn memory_used_is_total_minus_available() {
        let meminfo = "MemTotal:       1000 kB\nMemFree:         100 kB\n\
                       MemAvailable:    400 kB\nBuffers: 10 kB\nCached: 20 kB\n";
        assert_eq!(
            parse_memory(meminfo),
            Some((600.0 * 1024.0, 1000.0 * 1024.0))
        );
    }

    #[test]
    fn network_sums_every_interface() {
        let dev = "Inter-|   Receive |  Transmit\n face |bytes packets|bytes\n\
            lo: 100 1 0 0 0 0 0 0 100 1 0 0 0 0 0 0\n\
            eth0: 2000 5 0 0 0 0 0 0 300 2 0 0 0 0 0 0\n";
        assert_eq!(parse_network(dev), Some((2100, 400)));
    }

    #[test]
    fn aggregates_average_and_round_but_network_keeps_the_last_value() {
        let mut aggregate = Aggregate::default();
        aggregate.add(vec![
            ("cpu_utilization_percentage".into(), 10.0),
            ("network_receive_megabytes".into(), 1.0),
        ]);
        aggregate.add(vec![
            ("cpu_utilization_percentage".into(), 20.25),
            ("network_receive_megabytes".into(), 3.0),
        ]);
        assert_eq!(
            aggregate.take(),
            vec![
                ("cpu_utilization_percentage".to_owned(), 15.1),
                ("network_receive_megabytes".to_owned(), 3.0),
            ]
        );
        assert!(aggregate.take().is_empty());
    }

    #[test]
    fn a_sample_on_linux_has_mlflows_names() {
        let mut sampler = Sampler::new(Path::new("/"), false);
        let names: Vec<String> = sampler.sample().into_iter().map(|(n, _)| n).collect();
        for name in [
            "cpu_utilization_percentage",
            "system_memory_usage_megabytes",
            "system_memory_usage_percentage",
            "disk_usage_percentage",
            "disk_usage_megabytes",
            "disk_available_megabytes",
            "network_receive_megabytes",
            "network_transmit_megabytes",
        ] {
            assert!(names.iter().any(|n| n == name), "{name} in {names:?}");
        }
    }

    #[test]
    fn a_monitor_publishes_numbered_steps_until_stopped() {
        let (tx, rx) = crossbeam_channel::unbounded();
        let config = MonitorConfig {
            interval: Duration::from_millis(1),
            samples_before_logging: 2,
            prefix: "system/".to_owned(),
            first_step: 5,
            disk: PathBuf::from("/"),
            with_gpus: false,
        };
        let mut monitor = Monitor::start(
            config,
            Box::new(move |metrics, step| tx.send((metrics, step)).is_ok()),
        )
        .unwrap();
        let steps: Vec<i64> = (0..3).map(|_| rx.recv().unwrap().1).collect();
        assert_eq!(steps, vec![5, 6, 7]);
        monitor.stop();
        assert!(!monitor.is_running());
        let seen = rx.try_iter().count();
        assert!(
            rx.recv_timeout(Duration::from_millis(20)).is_err(),
            "{seen}"
        );
    }

    #[test]
    fn a_publish_that_refuses_stops_the_monitor() {
        let (tx, rx) = crossbeam_channel::unbounded();
        let config = MonitorConfig {
            interval: Duration::from_millis(1),
            samples_before_logging: 1,
            prefix: "system/n0/".to_owned(),
            first_step: 0,
            disk: PathBuf::from("/"),
            with_gpus: false,
        };
        let _monitor = Monitor::start(
            config,
            Box::new(move |metrics, _| {
                tx.send(metrics).unwrap();
                false
            }),
        )
        .unwrap();
        let first = rx.recv().unwrap();
        assert!(first.iter().all(|(name, _)| name.starts_with("system/n0/")));
        assert!(
            rx.recv().is_err(),
            "the thread ended and dropped its sender"
        );
    }
}
