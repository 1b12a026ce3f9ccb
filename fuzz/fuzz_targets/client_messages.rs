//! Client messages from the facilitator and several phones, one per line of the input, driven
//! through a session as the server drives them; any broken invariant is a crash. What is
//! checked is in `chorus::fuzzing`, shared with the property test that runs in CI.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(violation) = chorus::fuzzing::run(chorus::fuzzing::ops_from_bytes(data)) {
        panic!("{violation}");
    }
});
