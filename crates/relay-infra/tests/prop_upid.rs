//! Property tests of the UPID parser: every UPID PVE can write parses to its fields and prints
//! back verbatim; anything else is an error, never a panic.

use proptest::prelude::*;
use relay_infra::proxmox::Upid;
use relay_testkit::fuzz;

/// A UPID as PVE writes it, with its parts.
fn upid() -> impl Strategy<Value = (String, String, u32, u64, u64, String, String, String)> {
    (
        "[a-z][a-z0-9-]{0,10}",
        any::<u32>(),
        any::<u64>(),
        any::<u64>(),
        "[a-z]{1,10}",
        "[0-9a-z._-]{0,8}",
        "[a-z][a-z0-9]{0,7}@(pam|pve)(![a-z][a-z0-9]{0,5})?",
    )
        .prop_map(|(node, pid, pstart, start, kind, id, user)| {
            let text =
                format!("UPID:{node}:{pid:08X}:{pstart:08X}:{start:08X}:{kind}:{id}:{user}:");
            (text, node, pid, pstart, start, kind, id, user)
        })
}

fn check(text: &str) -> Result<(), TestCaseError> {
    match text.parse::<Upid>() {
        Ok(u) => {
            prop_assert_eq!(u.to_string(), text);
            prop_assert!(!u.node.is_empty() && !u.user.is_empty());
            prop_assert!(!u.describe().is_empty());
        }
        Err(e) => prop_assert!(e.to_string().contains("not a Proxmox task id")),
    }
    Ok(())
}

proptest! {
    #![proptest_config(fuzz::config(20000))]

    #[test]
    fn pve_upids_parse_to_their_fields((text, node, pid, pstart, start, kind, id, user) in upid()) {
        let u: Upid = text.parse().unwrap();
        prop_assert_eq!(
            (&u.node, u.pid, u.pstart, u.starttime, &u.task_type, &u.id, &u.user),
            (&node, pid, pstart, start, &kind, &id, &user)
        );
        prop_assert_eq!(u.as_str(), text);
    }

    #[test]
    fn arbitrary_text_never_panics(text in fuzz::text(), prefixed in any::<bool>()) {
        let text = if prefixed { format!("UPID:{text}") } else { text };
        check(&text)?;
    }

    #[test]
    fn corrupted_upids_never_panic(bytes in fuzz::mutated(vec![
        b"UPID:pve:000A1B2C:0F00BA4E:65F0C0DE:vzcreate:105:root@pam:".to_vec(),
        b"UPID:node-2:00001234:00000000000ABCDE:6600AA00:qmclone:9000:relay@pve!cli:".to_vec(),
        b"UPID:pve:00000001:00000001:00000001:vzdump::root@pam:".to_vec(),
    ])) {
        check(&String::from_utf8_lossy(&bytes))?;
    }
}
