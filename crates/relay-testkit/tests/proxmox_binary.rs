//! `relay-testkit proxmox` as another language's test would use it: start the binary, read the
//! JSON line, talk HTTPS to it with curl (a client that is not ours), stop it by closing stdin.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn the_binary_serves_pve_over_tls_until_stdin_closes() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    let mut child = Command::new(env!("CARGO_BIN_EXE_relay-testkit"))
        .args([
            "proxmox",
            "--token",
            "relay@pve!t=s3cret",
            "--template",
            "qemu:9001:ubuntu-tmpl",
            "--ca-out",
        ])
        .arg(&ca)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let info: serde_json::Value = match serde_json::from_str(&line) {
        Ok(v) => v,
        Err(e) => {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "no JSON line ({e}): {line:?}; stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    };
    let url = info["url"].as_str().unwrap().to_string();
    assert_eq!(info["node"], "pve");
    assert_eq!(info["fingerprint"].as_str().unwrap().len(), 32 * 3 - 1);

    let curl = |auth: &str, path: &str| {
        let out = Command::new("curl")
            .args(["-sS", "-i", "--cacert"])
            .arg(&ca)
            .args(["-H", &format!("Authorization: PVEAPIToken={auth}")])
            .arg(format!("{url}/api2/json{path}"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "curl: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let ok = curl("relay@pve!t=s3cret", "/cluster/resources?type=vm");
    assert!(ok.starts_with("HTTP/1.1 200 OK"), "{ok}");
    let body: serde_json::Value =
        serde_json::from_str(ok.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["data"][0]["vmid"], 9001);
    assert_eq!(body["data"][0]["template"], 1);
    let refused = curl("relay@pve!t=wrong", "/cluster/resources");
    assert!(
        refused.starts_with("HTTP/1.1 401 invalid token value!"),
        "PVE's reason phrase: {refused}"
    );

    drop(child.stdin.take());
    let status = child.wait().unwrap();
    assert!(status.success());
}
