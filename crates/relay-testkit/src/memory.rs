//! The test process's own memory use, for tests that bound what a flood of input costs Relay
//! (each such test lives in its own test binary, so the peak measures that run only).

/// Peak resident memory of this process, in KiB (`VmHWM` in `/proc/self/status`; Linux).
pub fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}
