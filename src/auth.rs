//! Secrets and codes: host and presenter keys, participant tokens and join codes.
//!
//! Keys and tokens are 128 bits from the operating system's generator, shown once and kept
//! only as SHA-256 hashes: a copy of the database does not let anyone into a session. A
//! plain hash is enough because the secrets are random, not chosen by people.

use sha2::{Digest, Sha256};

/// A new 128-bit secret, as 32 lowercase hex digits.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 16];
    fill(&mut bytes);
    hex::encode(bytes)
}

/// The stored form of a secret.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Compares a presented secret with a stored hash in time independent of where they differ.
pub fn secret_matches(secret: &str, hash: &str) -> bool {
    let presented = hash_secret(secret);
    presented.len() == hash.len() && presented.bytes().zip(hash.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// The presenter key that goes with a host key. Derived, so that the console (which holds
/// the host key) can always open the projector, while the presenter key reveals nothing of
/// the host key.
pub fn present_key_for(host_key: &str) -> String {
    hash_secret(&format!("chorus-present:{host_key}"))[..32].to_owned()
}

/// A new join code: 8 random digits.
pub fn new_join_code() -> String {
    // Rejection sampling keeps every code equally likely.
    const CODES: u32 = 100_000_000;
    const LIMIT: u32 = u32::MAX - u32::MAX % CODES;
    loop {
        let mut bytes = [0u8; 4];
        fill(&mut bytes);
        let n = u32::from_le_bytes(bytes);
        if n < LIMIT {
            return format!("{:08}", n % CODES);
        }
    }
}

/// Reads a join code as people type it ("1234 5678", "1234-5678"): the 8 digits, or `None`.
pub fn parse_join_code(input: &str) -> Option<String> {
    let digits: String = input.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    (digits.len() == 8 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// How a join code is shown: "1234 5678".
pub fn display_join_code(code: &str) -> String {
    if code.len() == 8 { format!("{} {}", &code[..4], &code[4..]) } else { code.to_owned() }
}

fn fill(bytes: &mut [u8]) {
    // Without the OS generator there is no safe way to make a key: stop rather than guess.
    #[allow(clippy::expect_used)]
    getrandom::fill(bytes).expect("the operating system's random number generator failed");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_128_bit_and_checked_against_their_hash() {
        let secret = new_secret();
        assert_eq!(secret.len(), 32);
        assert_ne!(secret, new_secret());
        let hash = hash_secret(&secret);
        assert!(secret_matches(&secret, &hash));
        assert!(!secret_matches(&new_secret(), &hash));
        assert!(!secret_matches("", &hash));
    }

    #[test]
    fn join_codes_are_eight_digits_and_read_as_typed() {
        let code = new_join_code();
        assert_eq!(parse_join_code(&code), Some(code.clone()));
        assert_eq!(parse_join_code(" 1234 5678 "), Some("12345678".into()));
        assert_eq!(parse_join_code("1234-5678"), Some("12345678".into()));
        assert_eq!(parse_join_code("1234567"), None);
        assert_eq!(parse_join_code("1234567a"), None);
        assert_eq!(display_join_code("12345678"), "1234 5678");
    }
}
