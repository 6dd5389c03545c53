//! Golden tests against the host: `testdata/ip_host.jsonl` holds, for each
//! `ip` command run in a fresh namespace, the datagrams iproute2 sent, the
//! kernel's replies and what `ip` printed (recorded by
//! `testdata/record_ip.py`). The same words given to `xfrmsim ip` must send
//! the same bytes (the sequence number and port id aside) and, fed the
//! same replies, print the same text.

use std::collections::VecDeque;

use sim_core::Errno;

use super::{run_ip, split_words};
use crate::nl::Link;

struct Replay {
    last_seq: [u8; 4],
    sent_expected: VecDeque<Vec<u8>>,
    replies: VecDeque<Vec<u8>>,
    mismatches: Vec<String>,
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2).map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap()).collect()
}

/// Clears `nlmsg_seq` and `nlmsg_pid` of every message of a datagram.
fn mask_seq(d: &[u8]) -> Vec<u8> {
    let mut v = d.to_vec();
    let mut off = 0;
    while off + 16 <= v.len() {
        let len = u32::from_le_bytes([v[off], v[off + 1], v[off + 2], v[off + 3]]) as usize;
        v[off + 8..off + 16].fill(0);
        if len < 16 {
            break;
        }
        off += (len + 3) & !3;
    }
    v
}

impl Link for Replay {
    fn send(&mut self, dgram: &[u8]) -> Result<(), Errno> {
        self.last_seq.copy_from_slice(&dgram[8..12]);
        match self.sent_expected.pop_front() {
            Some(want) if mask_seq(&want) == mask_seq(dgram) => {}
            Some(want) => self.mismatches.push(format!(
                "sent\n  {}\nwanted\n  {}",
                hex(&mask_seq(dgram)),
                hex(&mask_seq(&want))
            )),
            None => self.mismatches.push(format!("unexpected send {}", hex(dgram))),
        }
        Ok(())
    }

    fn recv(&mut self) -> Result<Option<Vec<u8>>, Errno> {
        // The host's replies carry ip's time-based sequence numbers; the
        // request just sent carries ours.
        Ok(self.replies.pop_front().map(|mut d| {
            let mut off = 0;
            while off + 16 <= d.len() {
                let len = u32::from_le_bytes([d[off], d[off + 1], d[off + 2], d[off + 3]]) as usize;
                d[off + 8..off + 12].copy_from_slice(&self.last_seq);
                if len < 16 {
                    break;
                }
                off += (len + 3) & !3;
            }
            d
        }))
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn ip_matches_host_iproute2() {
    let text = include_str!("../../testdata/ip_host.jsonl");
    let mut failures = Vec::new();
    let mut checked = 0;
    for line in text.lines() {
        let r: serde_json::Value = serde_json::from_str(line).unwrap();
        let words = split_words(r["line"].as_str().unwrap());
        let strs = |k: &str| -> Vec<Vec<u8>> {
            r[k].as_array().unwrap().iter().map(|v| unhex(v.as_str().unwrap())).collect()
        };
        let mut link = Replay {
            last_seq: [0; 4],
            sent_expected: strs("sent").into(),
            replies: strs("replies").into(),
            mismatches: Vec::new(),
        };
        let got = run_ip(&mut link, &words, &|_| None);
        let want_out = r["stdout"].as_str().unwrap();
        let want_err = r["stderr"].as_str().unwrap();
        let want_rc = r["rc"].as_u64().unwrap();
        let mut why = link.mismatches;
        if !link.sent_expected.is_empty() {
            why.push(format!("{} request(s) not sent", link.sent_expected.len()));
        }
        if got.out != want_out {
            why.push(format!("stdout\n{}\nwanted\n{}", got.out, want_out));
        }
        if got.err != want_err {
            why.push(format!("stderr {:?} wanted {:?}", got.err, want_err));
        }
        // ip exits 1 or 255 on command-line errors; xfrmsim always 2.
        let want_code = if want_rc == 0 { 0 } else { 2 };
        if u64::from(got.code) != want_code {
            why.push(format!("exit {} wanted {want_code} (ip: {want_rc})", got.code));
        }
        if !why.is_empty() {
            failures.push(format!("## ip {}\n{}", r["line"].as_str().unwrap(), why.join("\n")));
        }
        checked += 1;
    }
    assert!(checked > 70, "fixture too small");
    assert!(
        failures.is_empty(),
        "{} of {checked} differ:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
