//! Memory use of a process, for tests that bound what a flood of input costs Relay (each such
//! test lives in its own test binary, so the peak measures that run only) and for load benches
//! that weigh a server process.

/// Peak resident memory of this process, in KiB (`VmHWM` in `/proc/self/status`; Linux).
pub fn peak_rss_kib() -> u64 {
    status_kib("/proc/self/status", "VmHWM:").expect("VmHWM in /proc/self/status")
}

/// Resident memory of process `pid` now and at its peak, in KiB: `(VmRSS, VmHWM)` from
/// `/proc/<pid>/status` (Linux). `None` when the process is gone or the file lacks them.
pub fn process_rss_kib(pid: u32) -> Option<(u64, u64)> {
    let path = format!("/proc/{pid}/status");
    Some((status_kib(&path, "VmRSS:")?, status_kib(&path, "VmHWM:")?))
}

/// The `field` line of a `/proc/.../status` file, in kB.
fn status_kib(path: &str, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(path).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
