//! A blocking lookup answered by a key manager over NETLINK_XFRM. The
//! answer's NEWSA wakes `km_waitq` while the handler is still running, and
//! the woken lookup restarts at once on its own thread: it must find the
//! new SA usable, never start a second acquire for the flow. The race is
//! between threads, so the scenario runs many times (before the SA was
//! made VALID ahead of its insertion, about one run in twenty-five sent a
//! second ACQUIRE).

use xfrmsim::run::run_scenario;

const SCENARIO: &str = "\
requires xfrm_user
ip xfrm policy add src 10.0.0.0/24 dst 10.0.1.0/24 dir out tmpl src 1.1.1.1 dst 2.2.2.2 proto esp mode tunnel reqid 7
sysctl net.core.xfrm_larval_drop=0
km netlink delay 2
lookup 10.0.0.5 10.0.1.9 sleep
advance 3
signal
lookup wait
";

#[test]
fn a_woken_lookup_finds_the_answer_and_sends_no_second_acquire() {
    for seed in 0..2000 {
        let r = run_scenario(SCENARIO, "acquire_race.scn", seed);
        assert_eq!(r.code, 0, "seed {seed}: {}", r.err);
        if let Some(why) = r.skipped {
            println!("{why}");
            return;
        }
        assert_eq!(r.out.matches("km: ACQUIRE").count(), 1, "seed {seed}:\n{}", r.out);
        assert!(r.out.contains("lookup: bundle spi"), "seed {seed}:\n{}", r.out);
    }
}
