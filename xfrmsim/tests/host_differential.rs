//! `xfrmsim ip` on the simulated kernel against `ip` on the host kernel:
//! every command of `testdata/ip_host.jsonl`, case by case on a fresh
//! kernel configured as the host (`KernelProfile::HOST`: no ESP/AH), must
//! print what the host's iproute2 printed — the same text for the same
//! objects, the add times aside (the simulation runs on a virtual clock)
//! and the SPI an ALLOCSPI without a range draws at random.

use sim_core::xfrm::algo_table::KernelProfile;
use xfrmsim::ip::{run_ip, split_words};
use xfrmsim::sim::boot_with_profile;

fn mask_times(s: &str) -> String {
    s.lines()
        .map(|l| match l.find("  add ") {
            Some(i) if l.contains(" use ") => {
                format!("{}  add <time> use {}", &l[..i], l.rsplit(" use ").next().unwrap_or(""))
            }
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn mask_spi(s: &str) -> String {
    match s.find("spi 0x") {
        Some(i) => format!("{}spi 0x<random>{}", &s[..i], s.get(i + 14..).unwrap_or("")),
        None => s.to_string(),
    }
}

#[test]
fn sim_prints_what_the_host_printed() {
    let text = include_str!("../testdata/ip_host.jsonl");
    let mut cases: Vec<(u64, Vec<serde_json::Value>)> = Vec::new();
    for line in text.lines() {
        let r: serde_json::Value = serde_json::from_str(line).unwrap();
        let c = r["case"].as_u64().unwrap();
        match cases.last_mut() {
            Some((n, v)) if *n == c => v.push(r),
            _ => cases.push((c, vec![r])),
        }
    }
    let (mut checked, mut failures) = (0, Vec::new());
    for (_, records) in cases {
        let mut sim = boot_with_profile(0, &KernelProfile::HOST);
        for r in records {
            let line = r["line"].as_str().unwrap();
            let words = match line.strip_prefix("@nobody ") {
                Some(rest) => {
                    sim.become_user(65534);
                    split_words(rest)
                }
                None => {
                    sim.become_root();
                    split_words(line)
                }
            };
            let mut link = sim.xfrm_link(None).unwrap();
            let got = run_ip(&mut link, &words, &|_| None);
            let want =
                format!("{}{}", r["stdout"].as_str().unwrap(), r["stderr"].as_str().unwrap());
            let mut got_text = format!("{}{}", got.out, got.err);
            let mut want = want;
            if line.contains("allocspi") && !line.contains(" min ") {
                got_text = mask_spi(&got_text);
                want = mask_spi(&want);
            }
            if mask_times(&got_text) != mask_times(&want) {
                failures.push(format!("## ip {line}\n--- sim\n{got_text}--- host\n{want}"));
            }
            checked += 1;
        }
    }
    assert!(checked > 90);
    assert!(
        failures.is_empty(),
        "{} of {checked} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
