//! UPIDs: PVE's task ids, `UPID:{node}:{pid}:{pstart}:{starttime}:{type}:{id}:{user}:`.

use std::fmt;
use std::str::FromStr;

/// A parsed task id. The numeric fields are hexadecimal in the text form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Upid {
    /// Node that runs the task.
    pub node: String,
    /// Worker process id.
    pub pid: u32,
    /// Process start time (clock ticks since boot).
    pub pstart: u64,
    /// Task start, seconds since the Unix epoch.
    pub starttime: u64,
    /// Task type, e.g. `vzcreate`, `qmstart`.
    pub task_type: String,
    /// Task object id (usually the VMID; may be empty).
    pub id: String,
    /// Who started it (`root@pam`, `relay@pve!cli`).
    pub user: String,
    raw: String,
}

impl Upid {
    /// The UPID exactly as PVE wrote it (needed verbatim in task paths).
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// A short description for messages: `vzcreate 105 on pve`.
    pub fn describe(&self) -> String {
        if self.id.is_empty() {
            format!("task {} on {}", self.task_type, self.node)
        } else {
            format!("task {} {} on {}", self.task_type, self.id, self.node)
        }
    }
}

/// Why a string is not a UPID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a Proxmox task id (UPID): {reason}")]
pub struct UpidError {
    text: String,
    reason: &'static str,
}

impl FromStr for Upid {
    type Err = UpidError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let err = |reason| UpidError {
            text: text.to_string(),
            reason,
        };
        let body = text
            .strip_prefix("UPID:")
            .ok_or_else(|| err("it does not start with `UPID:`"))?;
        let body = body
            .strip_suffix(':')
            .ok_or_else(|| err("it does not end with `:`"))?;
        // The user may not contain ':', so splitting from the left is unambiguous.
        let parts: Vec<&str> = body.splitn(7, ':').collect();
        if parts.len() != 7 {
            return Err(err("it has fewer than 8 fields"));
        }
        if parts[0].is_empty() {
            return Err(err("the node is empty"));
        }
        let hex32 = |s: &str| u32::from_str_radix(s, 16).map_err(|_| err("pid is not hexadecimal"));
        let hex64 = |s: &str| {
            u64::from_str_radix(s, 16).map_err(|_| err("a time field is not hexadecimal"))
        };
        if parts[5].contains(':') || parts[6].is_empty() {
            return Err(err("the user field is malformed"));
        }
        Ok(Upid {
            node: parts[0].to_string(),
            pid: hex32(parts[1])?,
            pstart: hex64(parts[2])?,
            starttime: hex64(parts[3])?,
            task_type: parts[4].to_string(),
            id: parts[5].to_string(),
            user: parts[6].to_string(),
            raw: text.to_string(),
        })
    }
}

impl fmt::Display for Upid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pve_upids_including_token_users() {
        let upid: Upid = "UPID:pve:0002D3A1:0A1B2C3D:6745A1B2:vzcreate:105:relay@pve!cli:"
            .parse()
            .unwrap();
        assert_eq!(upid.node, "pve");
        assert_eq!(upid.pid, 0x2D3A1);
        assert_eq!(upid.pstart, 0x0A1B2C3D);
        assert_eq!(upid.starttime, 0x6745A1B2);
        assert_eq!(upid.task_type, "vzcreate");
        assert_eq!(upid.id, "105");
        assert_eq!(upid.user, "relay@pve!cli");
        assert_eq!(upid.describe(), "task vzcreate 105 on pve");
        assert_eq!(
            upid.to_string(),
            "UPID:pve:0002D3A1:0A1B2C3D:6745A1B2:vzcreate:105:relay@pve!cli:"
        );
    }

    #[test]
    fn empty_task_id_is_allowed() {
        let upid: Upid = "UPID:node1:00001234:00005678:5F000000:aptupdate::root@pam:"
            .parse()
            .unwrap();
        assert_eq!(upid.id, "");
        assert_eq!(upid.describe(), "task aptupdate on node1");
    }

    #[test]
    fn rejects_malformed_upids_with_a_reason() {
        for (text, reason) in [
            ("UPD:pve:1:2:3:x:1:root@pam:", "does not start"),
            ("UPID:pve:1:2:3:x:1:root@pam", "does not end"),
            ("UPID:pve:1:2:x:", "fewer than 8"),
            ("UPID:pve:zz:2:3:x:1:root@pam:", "not hexadecimal"),
            ("UPID::1:2:3:x:1:root@pam:", "node is empty"),
        ] {
            let err = text.parse::<Upid>().unwrap_err().to_string();
            assert!(err.contains(reason), "{text}: {err}");
        }
    }
}
