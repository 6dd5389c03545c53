//! The replay-against-recorded-kernel check the oracle tests share.

#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

/// Runs `xfrmsim replay ARGS` on `script`.
pub fn run_sim(script: &str, args: &[&str]) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_xfrmsim"))
        .arg("replay")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Feed the script from another thread: a long run's output fills the
    // pipe before its input is written, and both sides would block.
    let mut stdin = child.stdin.take().unwrap();
    let input = script.to_owned();
    let feeder = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

pub fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// Replays `tests/oracle/NAME.jsonl` with `args` and compares it with the
/// two recorded kernel runs: same errno, sockets, datagram counts and
/// lengths, and the same bytes in every 4-byte word where the two kernel
/// runs agree.
pub fn check(name: &str, args: &[&str]) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oracle/");
    let read = |suffix: &str| std::fs::read_to_string(format!("{dir}{name}{suffix}")).unwrap();
    let sim = run_sim(&read(".jsonl"), args);
    let (k1, k2) = (read(".kernel1.jsonl"), read(".kernel2.jsonl"));
    let lines =
        |s: &str| s.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()).collect::<Vec<_>>();
    let (sim, k1, k2) = (lines(&sim), lines(&k1), lines(&k2));
    assert_eq!(sim.len(), k1.len(), "{name}: line count");
    let mut datagrams = 0;
    for (step, ((s, a), b)) in sim.iter().zip(&k1).zip(&k2).enumerate() {
        let step = step + 1;
        if a.get("error").is_some() {
            assert!(s.get("error").is_some(), "{name} step {step}: kernel says malformed");
            continue;
        }
        assert_eq!(s.get("errno"), a.get("errno"), "{name} step {step}: errno");
        let (sr, ar, br) = (&s["recv"], &a["recv"], &b["recv"]);
        let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(sr), keys(ar), "{name} step {step}: sockets");
        for sock in keys(ar) {
            let (sv, av, bv) = (
                sr[&sock].as_array().unwrap(),
                ar[&sock].as_array().unwrap(),
                br[&sock].as_array().unwrap(),
            );
            assert_eq!(sv.len(), av.len(), "{name} step {step} {sock}: datagrams");
            for ((x, y), z) in sv.iter().zip(av).zip(bv) {
                let (x, y, z) = (x.as_str().unwrap(), y.as_str().unwrap(), z.as_str().unwrap());
                if y.starts_with('E') {
                    assert_eq!(x, y, "{name} step {step} {sock}");
                    continue;
                }
                let (x, y, z) = (unhex(x), unhex(y), unhex(z));
                assert_eq!(x.len(), y.len(), "{name} step {step} {sock}: length");
                // Bytes of a 4-byte word where the kernel runs differ are
                // not compared (compare.py widens to the field).
                for (w, ((xs, ys), zs)) in x.chunks(4).zip(y.chunks(4)).zip(z.chunks(4)).enumerate()
                {
                    if ys == zs {
                        assert_eq!(xs, ys, "{name} step {step} {sock}: word at {}", w * 4);
                    }
                }
                datagrams += 1;
            }
        }
    }
    assert!(datagrams > 10, "{name}: the fixture exercises replies");
}
