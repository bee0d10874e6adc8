//! Chuishao's metrics, in process, written as Prometheus text (exposition format 0.0.4).
//!
//! One process-wide set ([`metrics()`]) of typed counters, gauges and histograms, so a use
//! case records with one line and no plumbing. Values that live elsewhere (the database pool,
//! the outbox backlog) are read when scraped and written with [`write_gauge`]. No dependency:
//! the format is a few lines of text per family, and keeping it ours keeps the build lean.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

/// Latency buckets in seconds: 1 ms to 10 s.
pub const LATENCY_BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Timer lag buckets in seconds: 100 ms to 1 hour.
pub const LAG_BUCKETS: &[f64] = &[0.1, 0.5, 1.0, 5.0, 15.0, 30.0, 60.0, 300.0, 900.0, 3600.0];

/// A monotonically increasing count per label values.
#[derive(Debug)]
pub struct CounterVec {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
    values: Mutex<BTreeMap<Vec<String>, u64>>,
}

impl CounterVec {
    pub const fn new(name: &'static str, help: &'static str, labels: &'static [&'static str]) -> Self {
        CounterVec { name, help, labels, values: Mutex::new(BTreeMap::new()) }
    }

    /// Adds `n` to the series with these label values (in the order of the labels).
    pub fn add(&self, label_values: &[&str], n: u64) {
        if let Ok(mut m) = self.values.lock() {
            match m.get_mut(label_values.iter().map(|s| s.to_string()).collect::<Vec<_>>().as_slice()) {
                Some(v) => *v += n,
                None => {
                    m.insert(label_values.iter().map(|s| s.to_string()).collect(), n);
                }
            }
        }
    }

    pub fn inc(&self, label_values: &[&str]) {
        self.add(label_values, 1);
    }

    /// The current value of one series (0 when never touched).
    pub fn get(&self, label_values: &[&str]) -> u64 {
        let key: Vec<String> = label_values.iter().map(|s| s.to_string()).collect();
        self.values.lock().ok().and_then(|m| m.get(&key).copied()).unwrap_or(0)
    }

    fn render(&self, out: &mut String) {
        header(out, self.name, self.help, "counter");
        if let Ok(m) = self.values.lock() {
            for (values, v) in m.iter() {
                let _ = writeln!(out, "{}{} {v}", self.name, label_text(self.labels, values, None));
            }
        }
    }
}

/// A value that goes up and down, per label values.
#[derive(Debug)]
pub struct GaugeVec {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
    values: Mutex<BTreeMap<Vec<String>, i64>>,
}

impl GaugeVec {
    pub const fn new(name: &'static str, help: &'static str, labels: &'static [&'static str]) -> Self {
        GaugeVec { name, help, labels, values: Mutex::new(BTreeMap::new()) }
    }

    pub fn add(&self, label_values: &[&str], n: i64) {
        if let Ok(mut m) = self.values.lock() {
            *m.entry(label_values.iter().map(|s| s.to_string()).collect()).or_insert(0) += n;
        }
    }

    pub fn get(&self, label_values: &[&str]) -> i64 {
        let key: Vec<String> = label_values.iter().map(|s| s.to_string()).collect();
        self.values.lock().ok().and_then(|m| m.get(&key).copied()).unwrap_or(0)
    }

    /// Adds one now and takes it back when the guard drops (a subscriber's lifetime).
    pub fn track(&'static self, label_values: &[&str]) -> GaugeGuard {
        let values: Vec<String> = label_values.iter().map(|s| s.to_string()).collect();
        if let Ok(mut m) = self.values.lock() {
            *m.entry(values.clone()).or_insert(0) += 1;
        }
        GaugeGuard { gauge: self, values }
    }

    fn render(&self, out: &mut String) {
        header(out, self.name, self.help, "gauge");
        if let Ok(m) = self.values.lock() {
            for (values, v) in m.iter() {
                let _ = writeln!(out, "{}{} {v}", self.name, label_text(self.labels, values, None));
            }
        }
    }
}

/// Holds one unit of a gauge while alive.
#[derive(Debug)]
pub struct GaugeGuard {
    gauge: &'static GaugeVec,
    values: Vec<String>,
}

impl Drop for GaugeGuard {
    fn drop(&mut self) {
        if let Ok(mut m) = self.gauge.values.lock()
            && let Some(v) = m.get_mut(&self.values)
        {
            *v -= 1;
        }
    }
}

#[derive(Debug, Clone)]
struct HistogramData {
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

/// Observations counted into fixed buckets, per label values.
#[derive(Debug)]
pub struct HistogramVec {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
    buckets: &'static [f64],
    values: Mutex<BTreeMap<Vec<String>, HistogramData>>,
}

impl HistogramVec {
    pub const fn new(
        name: &'static str,
        help: &'static str,
        labels: &'static [&'static str],
        buckets: &'static [f64],
    ) -> Self {
        HistogramVec { name, help, labels, buckets, values: Mutex::new(BTreeMap::new()) }
    }

    /// Records one observation (seconds, for the latency families).
    pub fn observe(&self, label_values: &[&str], v: f64) {
        let Ok(mut m) = self.values.lock() else { return };
        let key: Vec<String> = label_values.iter().map(|s| s.to_string()).collect();
        let d =
            m.entry(key).or_insert_with(|| HistogramData { counts: vec![0; self.buckets.len()], sum: 0.0, count: 0 });
        if let Some(i) = self.buckets.iter().position(|b| v <= *b) {
            d.counts[i] += 1;
        }
        d.sum += v;
        d.count += 1;
    }

    /// Observations so far in one series.
    pub fn count(&self, label_values: &[&str]) -> u64 {
        let key: Vec<String> = label_values.iter().map(|s| s.to_string()).collect();
        self.values.lock().ok().and_then(|m| m.get(&key).map(|d| d.count)).unwrap_or(0)
    }

    fn render(&self, out: &mut String) {
        header(out, self.name, self.help, "histogram");
        let Ok(m) = self.values.lock() else { return };
        for (values, d) in m.iter() {
            let mut cumulative = 0;
            for (b, c) in self.buckets.iter().zip(&d.counts) {
                cumulative += c;
                let _ = writeln!(
                    out,
                    "{}_bucket{} {cumulative}",
                    self.name,
                    label_text(self.labels, values, Some(&format_float(*b)))
                );
            }
            let _ = writeln!(out, "{}_bucket{} {}", self.name, label_text(self.labels, values, Some("+Inf")), d.count);
            let _ = writeln!(out, "{}_sum{} {}", self.name, label_text(self.labels, values, None), format_float(d.sum));
            let _ = writeln!(out, "{}_count{} {}", self.name, label_text(self.labels, values, None), d.count);
        }
    }
}

/// The latest value of something measured now and then (e.g. the worst lag of the last tick).
#[derive(Debug)]
pub struct Gauge {
    name: &'static str,
    help: &'static str,
    bits: AtomicU64,
}

impl Gauge {
    pub const fn new(name: &'static str, help: &'static str) -> Self {
        Gauge { name, help, bits: AtomicU64::new(0) }
    }

    pub fn set(&self, v: f64) {
        self.bits.store(v.to_bits(), Ordering::Relaxed);
    }

    pub fn get(&self) -> f64 {
        f64::from_bits(self.bits.load(Ordering::Relaxed))
    }

    fn render(&self, out: &mut String) {
        write_gauge(out, self.name, self.help, &[], self.get());
    }
}

/// Every metric Chuishao records itself.
#[derive(Debug)]
pub struct Metrics {
    /// Request latency by matched route, method and status class.
    pub http_requests: HistogramVec,
    /// Cases received, by source (web, api, open311, patrol…).
    pub cases_received: CounterVec,
    /// Case transitions committed, by action.
    pub case_transitions: CounterVec,
    /// Timer events fired (deadline warnings and overdues, whistle overdues).
    pub timer_fired: CounterVec,
    /// How late a timer fired after its instant.
    pub timer_lag: HistogramVec,
    /// Worst lag of the last tick, seconds.
    pub timer_last_lag: Gauge,
    /// Outbox delivery attempts by outcome (delivered, retry, dead).
    pub deliveries: CounterVec,
    /// Live (SSE) subscribers on this node, by stream.
    pub sse_subscribers: GaugeVec,
    /// Public view cache look-ups by result (hit, miss).
    pub view_cache: CounterVec,
    /// Organisation, category and calendar caches dropped because another node changed them.
    pub cache_invalidations: CounterVec,
    /// Started serving (Unix seconds), so a restart shows.
    pub start_time: AtomicI64,
}

static METRICS: OnceLock<Metrics> = OnceLock::new();

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    METRICS.get_or_init(|| Metrics {
        http_requests: HistogramVec::new(
            "chuishao_http_request_duration_seconds",
            "HTTP request latency by matched route.",
            &["method", "route", "status"],
            LATENCY_BUCKETS,
        ),
        cases_received: CounterVec::new("chuishao_cases_received_total", "Cases received, by source.", &["source"]),
        case_transitions: CounterVec::new(
            "chuishao_case_transitions_total",
            "Case transitions committed, by action.",
            &["action"],
        ),
        timer_fired: CounterVec::new("chuishao_timer_fired_total", "Timer events fired, by kind.", &["kind"]),
        timer_lag: HistogramVec::new(
            "chuishao_timer_lag_seconds",
            "Delay between a timer's instant and its firing.",
            &[],
            LAG_BUCKETS,
        ),
        timer_last_lag: Gauge::new("chuishao_timer_last_tick_max_lag_seconds", "Worst lag in the last timer tick."),
        deliveries: CounterVec::new(
            "chuishao_outbox_deliveries_total",
            "Notification delivery attempts, by outcome.",
            &["outcome"],
        ),
        sse_subscribers: GaugeVec::new(
            "chuishao_sse_subscribers",
            "Live event-stream subscribers on this node, by stream.",
            &["stream"],
        ),
        view_cache: CounterVec::new(
            "chuishao_view_cache_requests_total",
            "Public view cache look-ups, by result.",
            &["result"],
        ),
        cache_invalidations: CounterVec::new(
            "chuishao_cache_invalidations_total",
            "Caches reloaded after a change (on any node), by cache.",
            &["cache"],
        ),
        start_time: AtomicI64::new(0),
    })
}

impl Metrics {
    /// Every family as Prometheus text.
    pub fn render(&self, out: &mut String) {
        self.http_requests.render(out);
        self.cases_received.render(out);
        self.case_transitions.render(out);
        self.timer_fired.render(out);
        self.timer_lag.render(out);
        self.timer_last_lag.render(out);
        self.deliveries.render(out);
        self.sse_subscribers.render(out);
        self.view_cache.render(out);
        self.cache_invalidations.render(out);
        let start = self.start_time.load(Ordering::Relaxed);
        if start > 0 {
            write_gauge(out, "chuishao_start_time_seconds", "When this process started serving.", &[], start as f64);
        }
    }
}

fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// One gauge family with one series per label set, read at scrape time.
pub fn write_gauge(out: &mut String, name: &str, help: &str, labels: &[(&str, &str)], value: f64) {
    write_gauges(out, name, help, &[(labels, value)]);
}

/// One gauge family with several series.
pub fn write_gauges(out: &mut String, name: &str, help: &str, series: &[(&[(&str, &str)], f64)]) {
    header(out, name, help, "gauge");
    for (labels, value) in series {
        let names: Vec<&str> = labels.iter().map(|(k, _)| *k).collect();
        let values: Vec<String> = labels.iter().map(|(_, v)| v.to_string()).collect();
        let _ = writeln!(out, "{name}{} {}", label_text(&names, &values, None), format_float(*value));
    }
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn label_text(names: &[&str], values: &[String], le: Option<&str>) -> String {
    let mut parts: Vec<String> = names.iter().zip(values).map(|(n, v)| format!("{n}=\"{}\"", escape(v))).collect();
    if let Some(le) = le {
        parts.push(format!("le=\"{le}\""));
    }
    if parts.is_empty() { String::new() } else { format!("{{{}}}", parts.join(",")) }
}

fn format_float(v: f64) -> String {
    if v.is_infinite() {
        if v > 0.0 { "+Inf".into() } else { "-Inf".into() }
    } else if v.is_nan() {
        "NaN".into()
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_and_labels_escaped() {
        let h = HistogramVec::new("t_seconds", "Test.", &["route"], &[0.1, 1.0]);
        h.observe(&["/t/{code}"], 0.05);
        h.observe(&["/t/{code}"], 0.5);
        h.observe(&["/t/{code}"], 5.0);
        h.observe(&["a\"b"], 0.05);
        let mut out = String::new();
        h.render(&mut out);
        assert!(out.contains("# TYPE t_seconds histogram"));
        assert!(out.contains("t_seconds_bucket{route=\"/t/{code}\",le=\"0.1\"} 1\n"), "{out}");
        assert!(out.contains("t_seconds_bucket{route=\"/t/{code}\",le=\"1\"} 2\n"), "{out}");
        assert!(out.contains("t_seconds_bucket{route=\"/t/{code}\",le=\"+Inf\"} 3\n"), "{out}");
        assert!(out.contains("t_seconds_count{route=\"/t/{code}\"} 3\n"), "{out}");
        assert!(out.contains("route=\"a\\\"b\""), "{out}");
    }

    #[test]
    fn counters_gauges_and_guards() {
        let c = CounterVec::new("c_total", "C.", &["k"]);
        c.inc(&["a"]);
        c.add(&["a"], 2);
        assert_eq!(c.get(&["a"]), 3);
        static G: GaugeVec = GaugeVec::new("g", "G.", &["s"]);
        {
            let _one = G.track(&["x"]);
            let _two = G.track(&["x"]);
            assert_eq!(G.get(&["x"]), 2);
        }
        assert_eq!(G.get(&["x"]), 0);
        let mut out = String::new();
        c.render(&mut out);
        write_gauges(&mut out, "pool", "P.", &[(&[("state", "idle")], 3.0)]);
        assert!(out.contains("c_total{k=\"a\"} 3\n"), "{out}");
        assert!(out.contains("pool{state=\"idle\"} 3\n"), "{out}");
    }
}
