//! Who is asking, and how much one address may ask.
//!
//! **The client's address.** Behind a reverse proxy every connection comes from the proxy.
//! With `--trusted-proxies` (CIDRs), a request whose TCP peer is one of them is taken to
//! come from the address the proxy put in `X-Forwarded-For` (or, when that header is absent,
//! `Forwarded: for=…`): the header is read from the right, skipping trusted hops, and the
//! first address that is not a trusted proxy is the client. Whatever a client writes into
//! those headers itself sits further left and is never reached. From a peer that is not
//! trusted the headers are ignored.
//!
//! **Budgets per address** ([`Budgets`]), keyed by [`AddressKey`]: an IPv4 address, or an
//! IPv6 address's /64 (one home or phone network gets a /64, so counting single IPv6
//! addresses would give one attacker billions of budgets). The numbers and the argument for
//! them are in docs/reliability.md (promises 7, 11–14):
//!
//! - failed join attempts (a wrong code, or a wrong key for a right one) and failed admin
//!   tokens: a small burst, refilled slowly. An address with a failure on record is a
//!   *suspect*: from then on each attempt it makes pays from its budget *before* it is
//!   looked up, so an address out of budget learns nothing, right code or wrong; an address
//!   with no failure on record is never slowed;
//! - new participants (fresh joins) per address: a burst a venue's Wi-Fi fits in;
//! - participants' messages per address, on top of each participant's own budget;
//! - sessions created per address.

use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::str::FromStr;
use std::time::{Duration, Instant};

use actix_web::HttpRequest;
use actix_web::http::header::HeaderMap;
use dashmap::DashMap;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use ipnet::IpNet;

/// Entries a bookkeeping map holds before stale ones are dropped…
const TIDY_AT: usize = 10_000;
/// …looked at once in this many uses, so that a map of many live entries is not walked on
/// every request.
const TIDY_EVERY: usize = 4096;

/// Counts uses, and says when it is time to tidy a map of `len` entries.
#[derive(Default)]
struct Tidy(std::sync::atomic::AtomicUsize);

impl Tidy {
    fn due(&self, len: usize) -> bool {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed).is_multiple_of(TIDY_EVERY) && len >= TIDY_AT
    }
}

/// The networks whose forwarding headers are believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

#[derive(Debug, thiserror::Error)]
#[error("{0:?} is not an address or a network (CIDR, e.g. 10.0.0.0/8 or ::1/128)")]
pub struct BadNetwork(String);

impl FromStr for TrustedProxies {
    type Err = BadNetwork;

    /// Comma-separated addresses or CIDRs; an address alone is its own /32 or /128.
    fn from_str(list: &str) -> Result<Self, Self::Err> {
        let mut nets = Vec::new();
        for item in list.split(',').map(str::trim).filter(|item| !item.is_empty()) {
            let net = item
                .parse::<IpNet>()
                .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| BadNetwork(item.to_owned()))?;
            nets.push(net);
        }
        Ok(Self(nets))
    }
}

impl TrustedProxies {
    pub fn new(nets: Vec<IpNet>) -> Self {
        Self(nets)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        self.0.iter().any(|net| net.contains(&address))
    }

    /// The client behind `peer`, as the trusted proxies in front of it say.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.contains(peer) {
            return peer;
        }
        let hops = forwarded_for(headers);
        let mut client = peer;
        for hop in hops.iter().rev() {
            match hop {
                Some(address) if self.contains(client) => client = canonical(*address),
                // A hop that is not an address (`unknown`, an obfuscated name): the last
                // trusted proxy is as far as anyone can tell.
                None if self.contains(client) => break,
                _ => break,
            }
            if !self.contains(client) {
                break;
            }
        }
        client
    }
}

/// The hops of `X-Forwarded-For` (every such header, in order), or of `Forwarded`'s `for=`
/// when there is no `X-Forwarded-For`; `None` for a hop that is not an address.
fn forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let xff: Vec<Option<IpAddr>> = headers
        .get_all("x-forwarded-for")
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|hop| parse_hop(hop.trim()))
        .collect();
    if !xff.is_empty() {
        return xff;
    }
    headers
        .get_all("forwarded")
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (name, value) = pair.trim().split_once('=')?;
                name.trim().eq_ignore_ascii_case("for").then(|| parse_hop(value.trim().trim_matches('"')))
            })
        })
        .collect()
}

/// An address as proxies write it: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`,
/// `[2001:db8::1]:5678`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(address) = hop.parse::<IpAddr>() {
        return Some(address);
    }
    if let Ok(socket) = hop.parse::<std::net::SocketAddr>() {
        return Some(socket.ip());
    }
    hop.strip_prefix('[').and_then(|rest| rest.split(']').next()).and_then(|inner| inner.parse().ok())
}

/// IPv4-mapped IPv6 (`::ffff:1.2.3.4`, as a dual-stack socket reports IPv4 peers) as IPv4.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(address),
        v4 => v4,
    }
}

/// The client address of an HTTP request (a WebSocket handshake included).
pub fn client_address(req: &HttpRequest, trusted: &TrustedProxies) -> Option<IpAddr> {
    req.peer_addr().map(|peer| trusted.client(peer.ip(), req.headers()))
}

/// What budgets count by: an IPv4 address, or the /64 of an IPv6 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AddressKey(IpAddr);

impl From<IpAddr> for AddressKey {
    fn from(address: IpAddr) -> Self {
        match canonical(address) {
            IpAddr::V6(v6) => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                Self(IpAddr::V6(Ipv6Addr::from(bits)))
            }
            v4 => Self(v4),
        }
    }
}

/// The budgets' sizes. Defaults are argued in docs/reliability.md.
#[derive(Debug, Clone)]
pub struct BudgetLimits {
    /// Failed join attempts (wrong code, or wrong key) an address may make at once…
    pub failed_joins_burst: NonZeroU32,
    /// …and how long it waits for each further one.
    pub failed_join_refill: Duration,
    /// Failed admin tokens an address may present at once, and the wait for each further one.
    pub failed_admin_burst: NonZeroU32,
    pub failed_admin_refill: Duration,
    /// New participants an address may bring in at once, and then one per this interval.
    pub joins_burst: NonZeroU32,
    pub join_refill: Duration,
    /// Participants' messages per second from one address, sustained, and in a burst.
    pub writes_per_second: NonZeroU32,
    pub writes_burst: NonZeroU32,
    /// Sessions an address may create at once, and then one per this interval.
    pub creates_burst: NonZeroU32,
    pub create_refill: Duration,
}

impl Default for BudgetLimits {
    fn default() -> Self {
        Self {
            failed_joins_burst: nz(3),
            failed_join_refill: Duration::from_secs(3 * 60 * 60),
            failed_admin_burst: nz(5),
            failed_admin_refill: Duration::from_secs(10 * 60),
            joins_burst: nz(1000),
            join_refill: Duration::from_secs(1),
            writes_per_second: nz(50),
            writes_burst: nz(1000),
            creates_burst: nz(10),
            create_refill: Duration::from_secs(5 * 60),
        }
    }
}

pub(crate) fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

fn quota(burst: NonZeroU32, refill: Duration) -> Quota {
    Quota::with_period(refill).unwrap_or_else(|| Quota::per_second(NonZeroU32::MAX)).allow_burst(burst)
}

/// A budget of failures: addresses with a failure on record pay for every attempt up front.
pub struct Failures {
    budget: DefaultKeyedRateLimiter<AddressKey>,
    /// When each suspect last failed; a suspect is forgiven once its budget is full again.
    suspects: DashMap<AddressKey, Instant>,
    forgive_after: Duration,
    tidy: Tidy,
}

impl Failures {
    fn new(burst: NonZeroU32, refill: Duration) -> Self {
        Self {
            budget: RateLimiter::keyed(quota(burst, refill)),
            suspects: DashMap::new(),
            forgive_after: refill.saturating_mul(burst.get()),
            tidy: Tidy::default(),
        }
    }

    /// Decides an attempt from `address` whose look-up is `known` (true when what it names
    /// exists), and counts it: `true` when it must be refused, whatever it names.
    ///
    /// A suspect pays before the look-up and is refused when it cannot pay. For an address
    /// with no failure on record the look-up runs here, under the lock of the address's entry,
    /// and a miss is recorded (and charged) before the lock is let go: two attempts of one
    /// address racing on two threads are counted one after the other, so no look-up of any
    /// address ever goes uncounted. `known` must not block: it runs under a lock.
    pub fn guard(&self, address: IpAddr, known: impl FnOnce() -> bool) -> bool {
        let key = AddressKey::from(address);
        self.tidy();
        match self.suspects.entry(key) {
            dashmap::Entry::Occupied(mut since) if since.get().elapsed() < self.forgive_after => {
                since.insert(Instant::now());
                self.budget.check_key(&key).is_err()
            }
            dashmap::Entry::Occupied(since) => {
                // Forgiven: its budget has had time to fill up again.
                if known() {
                    since.remove();
                } else {
                    let _ = self.budget.check_key(&key);
                    since.replace_entry(Instant::now());
                }
                false
            }
            dashmap::Entry::Vacant(vacant) => {
                if !known() {
                    vacant.insert(Instant::now());
                    let _ = self.budget.check_key(&key);
                }
                false
            }
        }
    }

    fn tidy(&self) {
        if self.tidy.due(self.suspects.len()) {
            let forgive_after = self.forgive_after;
            self.suspects.retain(|_, since| since.elapsed() < forgive_after);
            self.budget.retain_recent();
        }
    }

    /// Whether `address` may try a secret (an admin token) now: a suspect pays first, and
    /// is refused when it cannot.
    pub fn refused(&self, address: IpAddr) -> bool {
        self.guard(address, || true)
    }

    /// Records a failed attempt found after [`Failures::guard`] let it through (a wrong
    /// secret for a right code): an address with no failure on record is charged now; a
    /// suspect paid in `guard`.
    pub fn failed(&self, address: IpAddr) {
        let key = AddressKey::from(address);
        self.tidy();
        match self.suspects.entry(key) {
            dashmap::Entry::Occupied(mut since) => {
                since.insert(Instant::now());
            }
            dashmap::Entry::Vacant(vacant) => {
                vacant.insert(Instant::now());
                let _ = self.budget.check_key(&key);
            }
        }
    }
}

/// A budget that refuses past its limit, with the time to wait.
pub struct Budget(DefaultKeyedRateLimiter<AddressKey>, Tidy);

impl Budget {
    fn new(quota: Quota) -> Self {
        Self(RateLimiter::keyed(quota), Tidy::default())
    }

    /// Spends one from `address`'s budget; `Err` with the wait when it is spent.
    pub fn spend(&self, address: IpAddr) -> Result<(), Duration> {
        let key = AddressKey::from(address);
        if self.1.due(self.0.len()) {
            self.0.retain_recent();
        }
        self.0.check_key(&key).map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

/// Every per-address budget of a server.
pub struct Budgets {
    pub failed_joins: Failures,
    pub failed_admin: Failures,
    pub joins: Budget,
    pub writes: Budget,
    pub creates: Budget,
}

impl Budgets {
    pub fn new(limits: &BudgetLimits) -> Self {
        Self {
            failed_joins: Failures::new(limits.failed_joins_burst, limits.failed_join_refill),
            failed_admin: Failures::new(limits.failed_admin_burst, limits.failed_admin_refill),
            joins: Budget::new(quota(limits.joins_burst, limits.join_refill)),
            writes: Budget::new(Quota::per_second(limits.writes_per_second).allow_burst(limits.writes_burst)),
            creates: Budget::new(quota(limits.creates_burst, limits.create_refill)),
        }
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{HeaderName, HeaderValue};

    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).expect("name"),
                HeaderValue::from_str(value).expect("value"),
            );
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("address")
    }

    #[test]
    fn forwarding_headers_count_only_from_trusted_proxies() {
        let trusted: TrustedProxies = "127.0.0.1, 10.0.0.0/8".parse().expect("list");
        let xff = headers(&[("x-forwarded-for", "6.6.6.6, 203.0.113.7")]);
        // From the proxy: the hop it appended, not what the client wrote before it.
        assert_eq!(trusted.client(ip("127.0.0.1"), &xff), ip("203.0.113.7"));
        // Through two trusted proxies.
        let chain = headers(&[("x-forwarded-for", "6.6.6.6, 203.0.113.7, 10.1.2.3")]);
        assert_eq!(trusted.client(ip("127.0.0.1"), &chain), ip("203.0.113.7"));
        // From anyone else the header is the client's own word: ignored.
        assert_eq!(trusted.client(ip("198.51.100.1"), &xff), ip("198.51.100.1"));
        // No proxies configured: the peer, always.
        assert_eq!(TrustedProxies::default().client(ip("127.0.0.1"), &xff), ip("127.0.0.1"));
        // `Forwarded`, quoted IPv6 with a port, when there is no X-Forwarded-For.
        let forwarded = headers(&[("forwarded", "for=6.6.6.6, for=\"[2001:db8::7]:4711\";proto=https")]);
        assert_eq!(trusted.client(ip("::ffff:127.0.0.1"), &forwarded), ip("2001:db8::7"));
        // A proxy that says nothing: the proxy is the client.
        assert_eq!(trusted.client(ip("127.0.0.1"), &HeaderMap::new()), ip("127.0.0.1"));
        assert!("10.0.0.0/33".parse::<TrustedProxies>().is_err());
        assert!("proxy.example".parse::<TrustedProxies>().is_err());
    }

    #[test]
    fn ipv6_addresses_share_a_budget_per_64() {
        assert_eq!(AddressKey::from(ip("2001:db8:1:2::1")), AddressKey::from(ip("2001:db8:1:2:ffff::9")));
        assert_ne!(AddressKey::from(ip("2001:db8:1:2::1")), AddressKey::from(ip("2001:db8:1:3::1")));
        assert_eq!(AddressKey::from(ip("::ffff:192.0.2.1")), AddressKey::from(ip("192.0.2.1")));
    }

    #[test]
    fn a_suspect_pays_before_it_is_looked_up_and_a_clean_address_never_does() {
        let failures = Failures::new(nz(2), Duration::from_secs(3600));
        let (guesser, clean) = (ip("192.0.2.1"), ip("192.0.2.2"));
        let mut looked_up = 0;
        let mut guess = |known: bool| {
            failures.guard(guesser, || {
                looked_up += 1;
                known
            })
        };
        assert!(!guess(false)); // looked up, a miss: the first cell
        assert!(!guess(false)); // a suspect: pays the second first
        // Both cells spent: refused before any look-up, right or wrong.
        assert!(guess(true));
        assert!(guess(false));
        assert_eq!(looked_up, 1, "a suspect's attempts are not looked up here; they pay");
        for _ in 0..100 {
            assert!(!failures.guard(clean, || true));
        }
        assert!(!failures.refused(clean));
    }
}
