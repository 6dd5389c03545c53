//! The XFRM layer (`net/xfrm/xfrm_state.c`, `xfrm_policy.c`): state and policy operations, the key-manager list, the acquire path and `xfrm_lookup`.
