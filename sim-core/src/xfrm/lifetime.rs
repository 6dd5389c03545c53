//! Lifetimes (`struct xfrm_lifetime_cfg`, `struct xfrm_lifetime_cur` of
//! `include/uapi/linux/xfrm.h`).

/// `XFRM_INF`: no limit.
pub const XFRM_INF: u64 = u64::MAX;

/// `struct xfrm_lifetime_cfg`: soft and hard limits. Times are seconds.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct XfrmLifetimeCfg {
    pub soft_byte_limit: u64,
    pub hard_byte_limit: u64,
    pub soft_packet_limit: u64,
    pub hard_packet_limit: u64,
    pub soft_add_expires_seconds: u64,
    pub hard_add_expires_seconds: u64,
    pub soft_use_expires_seconds: u64,
    pub hard_use_expires_seconds: u64,
}

impl Default for XfrmLifetimeCfg {
    /// What `xfrm_state_alloc`/`xfrm_policy_alloc` start with: byte and
    /// packet limits `XFRM_INF`, time limits 0 (none).
    fn default() -> Self {
        XfrmLifetimeCfg {
            soft_byte_limit: XFRM_INF,
            hard_byte_limit: XFRM_INF,
            soft_packet_limit: XFRM_INF,
            hard_packet_limit: XFRM_INF,
            soft_add_expires_seconds: 0,
            hard_add_expires_seconds: 0,
            soft_use_expires_seconds: 0,
            hard_use_expires_seconds: 0,
        }
    }
}

/// `struct xfrm_lifetime_cur`: counters. Times are seconds on the
/// simulated wall clock (`ktime_get_real_seconds()`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
pub struct XfrmLifetimeCur {
    pub bytes: u64,
    pub packets: u64,
    pub add_time: u64,
    /// 0 until first use.
    pub use_time: u64,
}

/// `XFRM_KM_TIMEOUT`: seconds between repeated soft policy expiries.
pub const XFRM_KM_TIMEOUT: u64 = 30;

/// What one run of a state's lifetime timer decided
/// (`xfrm_timer_handler`'s arithmetic, without the side effects).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct StateTimerEval {
    /// A hard limit was reached: delete and report a hard expiry.
    pub hard: bool,
    /// A soft limit is reached (`warn`): report a soft expiry and set
    /// `km.dying`. Meaningless when `hard`.
    pub soft: bool,
    /// Seconds until the timer must run again (`None`: stop).
    pub next: Option<u64>,
}

/// Timer-relevant mutable fields of a state, as `xfrm_timer_handler` reads
/// and rewrites them.
#[derive(Debug)]
pub struct StateTimerFields<'a> {
    pub lft: &'a XfrmLifetimeCfg,
    pub curlft: &'a mut XfrmLifetimeCur,
    /// `x->xflags` (`XFRM_SOFT_EXPIRE` is bit 2).
    pub xflags: &'a mut u8,
    pub saved_tmo: &'a mut u64,
    /// `km.dying` before this run.
    pub dying: bool,
}

const XFRM_SOFT_EXPIRE: u8 = 2;

fn secs(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// `xfrm_timer_handler` (`net/xfrm/xfrm_state.c`) for a state that is not
/// DEAD/EXPIRED: hard add/use expiry, the clock-jump repair of the add
/// time (`XFRM_SOFT_EXPIRE`/`saved_tmo`), soft add/use expiry (skipped when
/// already dying), and the next deadline. `now` is wall-clock seconds.
pub fn xfrm_state_timer_eval(f: StateTimerFields<'_>, now: u64) -> StateTimerEval {
    let now_i = secs(now);
    let mut next = i64::MAX;
    let mut warn = false;
    let hard = StateTimerEval { hard: true, soft: false, next: None };
    let lft = f.lft;
    if lft.hard_add_expires_seconds != 0 {
        let mut tmo =
            secs(lft.hard_add_expires_seconds).saturating_add(secs(f.curlft.add_time)) - now_i;
        if tmo <= 0 {
            if *f.xflags & XFRM_SOFT_EXPIRE != 0 {
                // The clock jumped past the soft deadline: re-base add_time.
                f.curlft.add_time = now.saturating_sub(*f.saved_tmo).saturating_sub(1);
                tmo = secs(lft.hard_add_expires_seconds) - secs(*f.saved_tmo);
            } else {
                return hard;
            }
        }
        next = next.min(tmo);
    }
    let use_base = if f.curlft.use_time != 0 { secs(f.curlft.use_time) } else { now_i };
    if lft.hard_use_expires_seconds != 0 {
        let tmo = secs(lft.hard_use_expires_seconds).saturating_add(use_base) - now_i;
        if tmo <= 0 {
            return hard;
        }
        next = next.min(tmo);
    }
    if !f.dying {
        if lft.soft_add_expires_seconds != 0 {
            let tmo =
                secs(lft.soft_add_expires_seconds).saturating_add(secs(f.curlft.add_time)) - now_i;
            if tmo <= 0 {
                warn = true;
                *f.xflags &= !XFRM_SOFT_EXPIRE;
            } else if tmo < next {
                next = tmo;
                *f.xflags |= XFRM_SOFT_EXPIRE;
                *f.saved_tmo = tmo.unsigned_abs();
            }
        }
        if lft.soft_use_expires_seconds != 0 {
            let tmo = secs(lft.soft_use_expires_seconds).saturating_add(use_base) - now_i;
            if tmo <= 0 {
                warn = true;
            } else if tmo < next {
                next = tmo;
            }
        }
    }
    StateTimerEval {
        hard: false,
        soft: warn,
        next: if next == i64::MAX { None } else { Some(next.max(0).unsigned_abs()) },
    }
}

/// What `xfrm_state_check_expire` decided for a use of a state.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum UseCheck {
    /// Within limits.
    Ok,
    /// A soft byte/packet limit was reached now: set dying, soft expiry.
    Soft,
    /// A hard byte/packet limit is reached: EXPIRED, run the timer now,
    /// refuse the packet (`-EINVAL`).
    Hard,
}

/// `xfrm_state_check_expire`'s arithmetic: sets `use_time` on first use,
/// then compares the counters with the limits.
pub fn xfrm_state_check_expire_eval(
    lft: &XfrmLifetimeCfg,
    curlft: &mut XfrmLifetimeCur,
    dying: bool,
    now: u64,
) -> UseCheck {
    if curlft.use_time == 0 {
        curlft.use_time = now;
    }
    if curlft.bytes >= lft.hard_byte_limit || curlft.packets >= lft.hard_packet_limit {
        return UseCheck::Hard;
    }
    if !dying && (curlft.bytes >= lft.soft_byte_limit || curlft.packets >= lft.soft_packet_limit) {
        return UseCheck::Soft;
    }
    UseCheck::Ok
}

/// What one run of a policy's lifetime timer decided (`xfrm_policy_timer`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct PolicyTimerEval {
    /// A hard time limit was reached: delete, and if that succeeded report
    /// a hard expiry.
    pub hard: bool,
    /// A soft limit is reached: report a soft expiry (re-announced every
    /// [`XFRM_KM_TIMEOUT`] seconds until the hard limit).
    pub soft: bool,
    /// Seconds until the timer runs again (`None`: stop).
    pub next: Option<u64>,
}

/// `xfrm_policy_timer`'s arithmetic. Use-based limits count from
/// `use_time`, or from `add_time` if the policy was never used (unlike
/// states). Byte/packet limits are never enforced for policies.
pub fn xfrm_policy_timer_eval(
    lft: &XfrmLifetimeCfg,
    curlft: &XfrmLifetimeCur,
    now: u64,
) -> PolicyTimerEval {
    let now_i = secs(now);
    let mut next = i64::MAX;
    let mut warn = false;
    let hard = PolicyTimerEval { hard: true, soft: false, next: None };
    let use_base = secs(if curlft.use_time != 0 { curlft.use_time } else { curlft.add_time });
    if lft.hard_add_expires_seconds != 0 {
        let tmo = secs(lft.hard_add_expires_seconds).saturating_add(secs(curlft.add_time)) - now_i;
        if tmo <= 0 {
            return hard;
        }
        next = next.min(tmo);
    }
    if lft.hard_use_expires_seconds != 0 {
        let tmo = secs(lft.hard_use_expires_seconds).saturating_add(use_base) - now_i;
        if tmo <= 0 {
            return hard;
        }
        next = next.min(tmo);
    }
    if lft.soft_add_expires_seconds != 0 {
        let mut tmo =
            secs(lft.soft_add_expires_seconds).saturating_add(secs(curlft.add_time)) - now_i;
        if tmo <= 0 {
            warn = true;
            tmo = XFRM_KM_TIMEOUT as i64;
        }
        next = next.min(tmo);
    }
    if lft.soft_use_expires_seconds != 0 {
        let mut tmo = secs(lft.soft_use_expires_seconds).saturating_add(use_base) - now_i;
        if tmo <= 0 {
            warn = true;
            tmo = XFRM_KM_TIMEOUT as i64;
        }
        next = next.min(tmo);
    }
    PolicyTimerEval {
        hard: false,
        soft: warn,
        next: if next == i64::MAX { None } else { Some(next.max(0).unsigned_abs()) },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(
        lft: &XfrmLifetimeCfg,
        cur: &mut XfrmLifetimeCur,
        xf: &mut u8,
        st: &mut u64,
        dying: bool,
        now: u64,
    ) -> StateTimerEval {
        xfrm_state_timer_eval(
            StateTimerFields { lft, curlft: cur, xflags: xf, saved_tmo: st, dying },
            now,
        )
    }

    #[test]
    fn state_soft_then_hard_add() {
        let lft = XfrmLifetimeCfg {
            soft_add_expires_seconds: 10,
            hard_add_expires_seconds: 20,
            ..Default::default()
        };
        let mut cur = XfrmLifetimeCur { add_time: 100, ..Default::default() };
        let (mut xf, mut st) = (0u8, 0u64);
        let e = eval(&lft, &mut cur, &mut xf, &mut st, false, 101);
        assert_eq!(e, StateTimerEval { hard: false, soft: false, next: Some(9) });
        assert_eq!(xf & 2, 2);
        assert_eq!(st, 9);
        let e = eval(&lft, &mut cur, &mut xf, &mut st, false, 110);
        assert_eq!(e, StateTimerEval { hard: false, soft: true, next: Some(10) });
        assert_eq!(xf & 2, 0);
        // Dying: soft checks skipped, only the hard deadline remains.
        let e = eval(&lft, &mut cur, &mut xf, &mut st, true, 115);
        assert_eq!(e, StateTimerEval { hard: false, soft: false, next: Some(5) });
        let e = eval(&lft, &mut cur, &mut xf, &mut st, true, 120);
        assert!(e.hard);
    }

    #[test]
    fn state_clock_jump_rebases_add_time() {
        let lft = XfrmLifetimeCfg {
            soft_add_expires_seconds: 10,
            hard_add_expires_seconds: 20,
            ..Default::default()
        };
        let mut cur = XfrmLifetimeCur { add_time: 100, ..Default::default() };
        let (mut xf, mut st) = (0u8, 0u64);
        eval(&lft, &mut cur, &mut xf, &mut st, false, 101); // soft armed, saved 9
        // The wall clock jumps far ahead: hard add would fire without soft.
        let e = eval(&lft, &mut cur, &mut xf, &mut st, false, 1000);
        assert!(!e.hard);
        assert_eq!(cur.add_time, 1000 - 9 - 1);
        assert!(e.soft);
    }

    #[test]
    fn state_use_limits_count_from_now_when_unused() {
        let lft = XfrmLifetimeCfg { hard_use_expires_seconds: 5, ..Default::default() };
        let mut cur = XfrmLifetimeCur { add_time: 1, ..Default::default() };
        let (mut xf, mut st) = (0u8, 0u64);
        assert_eq!(eval(&lft, &mut cur, &mut xf, &mut st, false, 500).next, Some(5));
        cur.use_time = 498;
        assert_eq!(eval(&lft, &mut cur, &mut xf, &mut st, false, 500).next, Some(3));
        assert!(eval(&lft, &mut cur, &mut xf, &mut st, false, 503).hard);
        // No limits: the timer stops.
        let none = XfrmLifetimeCfg::default();
        assert_eq!(eval(&none, &mut cur, &mut xf, &mut st, false, 1).next, None);
    }

    #[test]
    fn byte_and_packet_limits() {
        let lft = XfrmLifetimeCfg {
            soft_byte_limit: 100,
            hard_byte_limit: 200,
            soft_packet_limit: 3,
            ..Default::default()
        };
        let mut cur = XfrmLifetimeCur::default();
        assert_eq!(xfrm_state_check_expire_eval(&lft, &mut cur, false, 77), UseCheck::Ok);
        assert_eq!(cur.use_time, 77);
        cur.bytes = 100;
        assert_eq!(xfrm_state_check_expire_eval(&lft, &mut cur, false, 78), UseCheck::Soft);
        assert_eq!(cur.use_time, 77);
        assert_eq!(xfrm_state_check_expire_eval(&lft, &mut cur, true, 78), UseCheck::Ok);
        cur.bytes = 10;
        cur.packets = 3;
        assert_eq!(xfrm_state_check_expire_eval(&lft, &mut cur, false, 78), UseCheck::Soft);
        cur.bytes = 200;
        assert_eq!(xfrm_state_check_expire_eval(&lft, &mut cur, true, 78), UseCheck::Hard);
    }

    #[test]
    fn policy_timer() {
        let lft = XfrmLifetimeCfg {
            soft_use_expires_seconds: 10,
            hard_add_expires_seconds: 100,
            ..Default::default()
        };
        let cur = XfrmLifetimeCur { add_time: 1000, use_time: 0, ..Default::default() };
        // Never used: use limits count from add_time.
        assert_eq!(
            xfrm_policy_timer_eval(&lft, &cur, 1001),
            PolicyTimerEval { hard: false, soft: false, next: Some(9) }
        );
        // Soft reached: re-announce after XFRM_KM_TIMEOUT.
        assert_eq!(
            xfrm_policy_timer_eval(&lft, &cur, 1010),
            PolicyTimerEval { hard: false, soft: true, next: Some(30) }
        );
        assert_eq!(xfrm_policy_timer_eval(&lft, &cur, 1090).next, Some(10));
        assert!(xfrm_policy_timer_eval(&lft, &cur, 1100).hard);
    }
}
