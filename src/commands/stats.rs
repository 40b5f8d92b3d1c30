//! `--stats`: the AWS requests a command made, printed to stderr when it is done.
//!
//! For people, a table (one row per service and operation, then a total and the
//! wall-clock time spent waiting on AWS). For programs (`--json`, `--format json`),
//! one line holding one JSON object, `{"stats": {"calls": [...], "total": {...}}}`,
//! on stderr too, so that stdout stays exactly the plan or the event stream. The
//! fields are those of `aws::StatsReport`.

use crate::aws::StatsReport;

/// Prints `report` to stderr, as JSON when `json`.
pub fn print(report: &StatsReport, json: bool) {
    if json {
        let line = serde_json::json!({ "stats": report });
        eprintln!("{line}");
    } else {
        eprint!("{}", table(report));
    }
}

/// The report as an aligned text table.
pub fn table(report: &StatsReport) -> String {
    let header = [
        "SERVICE",
        "OPERATION",
        "REQUESTS",
        "ATTEMPTS",
        "RETRIES",
        "WAITS",
        "ERRORS",
        "TIME",
    ];
    let mut rows: Vec<[String; 8]> = report
        .calls
        .iter()
        .map(|r| {
            [
                r.service.clone(),
                r.operation.clone(),
                r.requests.to_string(),
                r.attempts.to_string(),
                r.retries.to_string(),
                r.waits.to_string(),
                r.errors.to_string(),
                seconds(r.ms),
            ]
        })
        .collect();
    let t = &report.total;
    rows.push([
        "total".to_owned(),
        String::new(),
        t.requests.to_string(),
        t.attempts.to_string(),
        t.retries.to_string(),
        t.waits.to_string(),
        t.errors.to_string(),
        seconds(t.ms),
    ]);
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.len());
        }
    }
    let line = |cells: &[String]| {
        let mut text = String::new();
        for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
            // Names left-aligned, numbers right-aligned.
            if i < 2 {
                text.push_str(&format!("{cell:<width$}  "));
            } else {
                text.push_str(&format!("{cell:>width$}  "));
            }
        }
        format!("{}\n", text.trim_end())
    };
    let mut out = String::from("\nAWS requests:\n");
    out.push_str(&line(&header.map(str::to_owned)));
    for row in &rows {
        out.push_str(&line(row));
    }
    out.push_str(&format!(
        "Waiting on AWS: {} (wall clock, at least one request in flight)\n",
        seconds(t.waiting_ms)
    ));
    out
}

fn seconds(ms: u64) -> String {
    format!("{:.2}s", ms as f64 / 1000.0)
}
