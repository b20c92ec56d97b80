//! The process tree under an agent. Tools such as Claude Code's Bash run commands in process
//! groups of their own, so killing the agent's group alone would orphan them; Relay freezes the
//! whole tree, then kills every member.
//!
//! Linux reads `/proc`; elsewhere the tree is just the agent's own group.

/// A process identified by pid and start time (so a reused pid is never mistaken for it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    /// The process id.
    pub pid: i32,
    start_time: u64,
}

/// Parent pid and start time of `pid`, from `/proc/<pid>/stat`.
fn stat(pid: i32) -> Option<(i32, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may contain spaces.
    let rest = text.rsplit_once(") ")?.1;
    let fields: Vec<&str> = rest.split(' ').collect();
    let ppid = fields.get(1)?.parse().ok()?;
    let start_time = fields.get(19)?.parse().ok()?;
    Some((ppid, start_time))
}

/// The start time of `pid` (clock ticks after boot), from `/proc/<pid>/stat`.
pub fn start_time(pid: i32) -> Option<u64> {
    stat(pid).map(|(_, start)| start)
}

/// Every descendant of `root` (not `root` itself), found through parent links in `/proc`.
pub fn descendants(root: i32) -> Vec<Member> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let table: Vec<(i32, i32, u64)> = entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| stat(pid).map(|(ppid, start)| (pid, ppid, start)))
        .collect();
    let mut found: Vec<Member> = Vec::new();
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for &(pid, ppid, start_time) in &table {
            if ppid == parent && !found.iter().any(|m| m.pid == pid) {
                found.push(Member { pid, start_time });
                frontier.push(pid);
            }
        }
    }
    found
}

/// Whether `member` is still the same live (or zombie) process.
pub fn is_same(member: &Member) -> bool {
    stat(member.pid).is_some_and(|(_, start)| start == member.start_time)
}

/// Stops the tree under `root` (so nothing can fork while we look) and returns its members.
/// Repeats until no new member appears.
pub fn freeze(root: i32) -> Vec<Member> {
    let mut all: Vec<Member> = Vec::new();
    signal(root, libc::SIGSTOP);
    // kill() returns before the stop takes effect; a process still running could fork a child
    // we would not see.
    wait_stopped(root);
    for _ in 0..20 {
        let found = descendants(root);
        let fresh: Vec<Member> = found.into_iter().filter(|m| !all.contains(m)).collect();
        if fresh.is_empty() {
            break;
        }
        for m in &fresh {
            signal(m.pid, libc::SIGSTOP);
        }
        for m in &fresh {
            wait_stopped(m.pid);
        }
        all.extend(fresh);
    }
    all
}

/// Waits (up to 200 ms) until `pid` is stopped, a zombie or gone.
fn wait_stopped(pid: i32) {
    for _ in 0..200 {
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|text| {
                text.rsplit_once(") ")
                    .and_then(|(_, rest)| rest.chars().next())
            });
        match state {
            None | Some('T' | 't' | 'Z' | 'X') => return,
            Some(_) => std::thread::sleep(std::time::Duration::from_millis(1)),
        }
    }
}

/// SIGKILLs each member still alive, and its process group.
pub fn kill_members(members: &[Member]) {
    for m in members {
        if is_same(m) {
            // SAFETY: getpgid/kill take plain integers; errors (ESRCH) are harmless here.
            unsafe {
                let pgid = libc::getpgid(m.pid);
                if pgid > 1 && pgid != libc::getpgrp() {
                    libc::kill(-pgid, libc::SIGKILL);
                }
                libc::kill(m.pid, libc::SIGKILL);
            }
        }
    }
}

/// Reaps members that were re-parented to this process (when it is a child subreaper). A member
/// whose parent is still dying is waited for briefly, since it reaches us only when that parent
/// is gone; one adopted by some other process is not ours to reap.
pub async fn reap_members(members: &[Member]) {
    let me = std::process::id() as i32;
    for m in members {
        for _ in 0..100 {
            let Some((ppid, start)) = stat(m.pid) else {
                break; // gone
            };
            if start != m.start_time {
                break; // the pid now belongs to another process
            }
            if ppid == me {
                let mut status = 0;
                // SAFETY: non-blocking waitpid on one child of ours.
                let rc = unsafe { libc::waitpid(m.pid, &mut status, libc::WNOHANG) };
                if rc == m.pid || rc == -1 {
                    break;
                }
            } else if !members.iter().any(|other| other.pid == ppid) {
                break; // adopted elsewhere (e.g. by init when we are not a subreaper)
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
}

fn signal(pid: i32, sig: i32) {
    // SAFETY: kill(2) with plain integers.
    unsafe {
        libc::kill(pid, sig);
    }
}
