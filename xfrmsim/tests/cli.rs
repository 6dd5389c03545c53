//! The `xfrmsim` binary: exit statuses, usage errors, the socket path for
//! an unprivileged user, `-batch`, and `run` with a failing expectation.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn xfrmsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xfrmsim")).args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn bad_commands_print_usage_and_exit_2() {
    for args in [
        vec![],
        vec!["frobnicate"],
        vec!["--seed", "x", "ip"],
        vec!["ip", "xfrm", "policy", "add", "src", "10.0.0.1", "dir", "sideways"],
        vec!["ip", "xfrm", "policy", "add", "src", "10.0.0.1"],
        vec!["ip", "xfrm", "state", "add", "src", "10.0.0.1", "dst", "10.0.0.2", "spi", "1"],
        vec!["ip", "xfrm", "state", "bogus"],
        vec!["ip", "-z", "xfrm", "state"],
        vec!["ip", "link"],
        vec!["ip", "xfrm", "policy", "add", "src"],
        vec!["setkey", "-Q"],
        vec!["run"],
    ] {
        let o = xfrmsim(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o.stderr));
        assert!(!o.stderr.is_empty(), "{args:?} printed no error");
        assert!(!text(&o.stderr).contains("panicked"), "{args:?}");
    }
    let o = xfrmsim(&[
        "ip", "xfrm", "policy", "add", "src", "10.0.0.1", "dst", "10.0.0.2", "dir", "sideways",
    ]);
    assert_eq!(text(&o.stderr), "Error: argument \"sideways\" is wrong: DIR value is invalid\n");
}

#[test]
fn unprivileged_user_is_refused_by_the_kernel() {
    let o = xfrmsim(&["--user", "1000", "ip", "xfrm", "policy", "list"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(text(&o.stderr), "RTNETLINK answers: Operation not permitted\nDump terminated\n");
}

#[test]
fn batch_runs_every_line_and_stops_at_the_first_failure() {
    let dir = std::env::temp_dir().join(format!("xfrmsim-batch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("b.txt");
    std::fs::File::create(&f)
        .unwrap()
        .write_all(b"# comment\nxfrm policy add dir sideways\nxfrm policy add dir up\n")
        .unwrap();
    let path = f.to_str().unwrap();
    let o = xfrmsim(&["ip", "-batch", path]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains(&format!("Command failed {path}:2")), "{err}");
    assert!(!err.contains("\"up\""), "{err}");
    let o = xfrmsim(&["ip", "-force", "-batch", path]);
    let err = text(&o.stderr);
    assert!(err.contains(&format!("Command failed {path}:3")), "{err}");
}

#[test]
fn run_reports_the_failing_line() {
    let dir = std::env::temp_dir().join(format!("xfrmsim-run-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("s.scn");
    std::fs::write(&f, "echo one\nexpect out one\nexpect out two\n").unwrap();
    let o = xfrmsim(&["run", f.to_str().unwrap(), "--seed", "3"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("s.scn:3: expectation failed: expect out two"),
        "{}",
        text(&o.stderr)
    );
    std::fs::write(&f, "echo one\nexpect out one\n").unwrap();
    let o = xfrmsim(&["run", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(text(&o.stdout), "one\n");
}

#[test]
fn setkey_reads_stdin() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_xfrmsim"))
        .args(["setkey", "-c"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The child may exit before reading (no PF_KEY): a broken pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(b"add 1.1.1.1 2.2.2.2 esp 0x100 -E null;\n");
    let o = child.wait_with_output().unwrap();
    // Until PF_KEY registers, socket(PF_KEY) fails as on a kernel without
    // af_key: setkey cannot start.
    assert_ne!(o.status.code(), Some(0));
    assert!(!text(&o.stderr).contains("panicked"));
}
