//! NETLINK_XFRM, simulation against Linux: each script of `tests/replay/`
//! was run twice on the host kernel (6.18, fresh network namespace each
//! time) and recorded; the simulation runs the same script and `compare.py`
//! checks every reply and notification byte for byte, masking only what
//! differs between the two kernel runs and the known run-varying fields
//! (`add_time`, autobound port ids, random SPIs).  A live variant re-runs
//! the kernel side when the test runs as root and `unshare -n` works.

use std::path::Path;
use std::time::Duration;

use tests::replay_diff::{
    compare, have_python, live_kernel_unavailable, oracle_dir, replay_dir, run_kernel,
    run_sim_within,
};

/// Far more than any script needs (the slowest takes about a second).
const LIMIT: Duration = Duration::from_secs(60);

/// Runs `name` on the simulation and compares it with the recordings.
fn check_recorded(name: &str) {
    let oracle = match oracle_dir() {
        Ok(d) if have_python() => d,
        Ok(_) => return eprintln!("skipped {name}: python3 is not available"),
        Err(why) => return eprintln!("skipped {name}: {why}"),
    };
    let dir = replay_dir();
    let script = std::fs::read_to_string(dir.join(format!("{name}.jsonl"))).unwrap();
    let sim = run_sim_within(&script, LIMIT).unwrap_or_else(|e| panic!("{name}: {e}"));
    let lines = script.lines().filter(|l| !l.trim().is_empty()).count();
    assert_eq!(sim.lines().count(), lines, "{name}: one output line per script line");
    let (k1, k2) =
        (dir.join(format!("{name}.kernel1.jsonl")), dir.join(format!("{name}.kernel2.jsonl")));
    let c = compare(&oracle, &k1, &k2, &sim).unwrap();
    eprintln!("{name}: {}", c.summary);
    assert!(c.identical, "{name}: the simulation differs from Linux\n{}", c.report);
}

#[test]
fn policy_ops_match_linux() {
    check_recorded("policy_ops");
}

#[test]
fn policy_dump_of_2100_entries_matches_linux() {
    check_recorded("policy_dump_2k");
}

#[test]
fn larval_states_allocspi_getsa_delsa_match_linux() {
    check_recorded("sa_larval");
}

/// ALLOCSPI of family 99 / mode 9: Linux's larval state of an unknown
/// family keeps no addresses (`__find_acq_core` copies them per family).
#[test]
fn larval_states_of_odd_family_and_mode_match_linux() {
    check_recorded("sa_larval_odd");
}

/// A larval state's hard EXPIRE after `xfrm_acq_expires`.
#[test]
fn larval_state_expiry_matches_linux() {
    check_recorded("larval_expiry");
}

#[test]
fn spd_sad_info_and_hash_thresholds_match_linux() {
    check_recorded("spd_sad_info");
}

#[test]
fn notifications_match_linux() {
    check_recorded("notify");
}

#[test]
fn unprivileged_senders_match_linux() {
    check_recorded("unprivileged");
}

#[test]
fn malformed_requests_match_linux() {
    check_recorded("malformed");
}

/// Attribute errors whose extended ACK carries NLMSGERR_ATTR_POLICY.
#[test]
fn malformed_attributes_with_policy_nest_match_linux() {
    check_recorded("malformed_policy_nest");
}

#[test]
fn newsa_validation_errors_match_linux() {
    check_recorded("newsa_errors");
}

/// Re-runs the kernel side now (two fresh namespaces) for a few scripts.
#[test]
fn live_kernel_comparison() {
    if let Some(why) = live_kernel_unavailable() {
        return eprintln!("skipped the live kernel comparison: {why}");
    }
    let oracle = match oracle_dir() {
        Ok(d) if have_python() => d,
        Ok(_) => return eprintln!("skipped the live kernel comparison: python3 is not available"),
        Err(why) => return eprintln!("skipped the live kernel comparison: {why}"),
    };
    let tmp = std::env::temp_dir().join(format!("xfrm_diff_live_{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    for name in ["policy_ops", "malformed"] {
        let script = std::fs::read_to_string(replay_dir().join(format!("{name}.jsonl"))).unwrap();
        let runs: Vec<_> = (1..=2)
            .map(|i| {
                let p = tmp.join(format!("{name}.kernel{i}.jsonl"));
                std::fs::write(&p, run_kernel(&oracle, &script).unwrap()).unwrap();
                p
            })
            .collect();
        let sim = run_sim_within(&script, LIMIT).unwrap_or_else(|e| panic!("{name}: {e}"));
        let c = compare(&oracle, &runs[0], &runs[1], &sim).unwrap();
        eprintln!("{name} (live): {}", c.summary);
        assert!(c.identical, "{name} (live): the simulation differs from Linux\n{}", c.report);
    }
    let _ = std::fs::remove_dir_all(Path::new(&tmp));
}
