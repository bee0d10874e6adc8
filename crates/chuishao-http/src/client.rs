//! Who the client is: the one place that decides a request's client address, for every rate
//! limit and throttle. Behind a load balancer every connection comes from the balancer, so the
//! address is taken from `X-Forwarded-For` — but only from peers the deployment trusts
//! (`server.trusted_proxies`), walking the header from the right past trusted hops. A request
//! that carries the header from a peer that is not trusted, while proxies are configured, is
//! refused (`400 untrusted_forwarded_for`): it bypassed the balancer, or the balancer is
//! missing from the list, and either way its claimed address must not pick a bucket.

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The header proxies append the address they saw to.
pub const FORWARDED_FOR: &str = "x-forwarded-for";

/// Addresses and CIDR blocks whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    nets: Vec<ipnet::IpNet>,
}

impl TrustedProxies {
    /// Parses addresses (`127.0.0.1`, `::1`) and blocks (`10.0.0.0/8`). The error names the
    /// entry.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, String> {
        let mut nets = Vec::with_capacity(entries.len());
        for e in entries {
            let e = e.as_ref().trim();
            let net = match e.parse::<ipnet::IpNet>() {
                Ok(n) => n,
                Err(_) => match e.parse::<IpAddr>() {
                    Ok(ip) => ipnet::IpNet::from(ip),
                    Err(_) => return Err(format!("{e:?} is not an address or a CIDR block (e.g. 10.0.0.0/8)")),
                },
            };
            nets.push(net);
        }
        Ok(TrustedProxies { nets })
    }

    /// Whether any proxy is configured.
    pub fn is_empty(&self) -> bool {
        self.nets.is_empty()
    }

    /// Whether `ip` is one of the trusted proxies.
    pub fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.nets.iter().any(|n| n.contains(&ip))
    }

    /// The client address of a request from `peer` carrying `forwarded` (the
    /// `X-Forwarded-For` values in order), or why the header cannot be believed.
    pub fn client_addr(&self, peer: IpAddr, forwarded: Option<&str>) -> Result<IpAddr, ForwardedError> {
        let peer = canonical(peer);
        let Some(header) = forwarded.filter(|h| !h.trim().is_empty()) else { return Ok(peer) };
        if self.nets.is_empty() {
            // Facing clients directly: nobody may speak for them; the header means nothing.
            return Ok(peer);
        }
        if !self.trusts(peer) {
            return Err(ForwardedError::UntrustedPeer(peer));
        }
        // From the right: each hop was appended by the one after it; the first hop that is not
        // a trusted proxy is the client. Entries further left were written by the client.
        let mut client = peer;
        for hop in header.rsplit(',').map(str::trim) {
            let Some(ip) = parse_hop(hop) else { break };
            client = canonical(ip);
            if !self.trusts(client) {
                break;
            }
        }
        Ok(client)
    }
}

/// Why a forwarded address was not believed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ForwardedError {
    #[error("X-Forwarded-For from {0}, which is not a trusted proxy")]
    UntrustedPeer(IpAddr),
}

/// An IPv4-mapped IPv6 peer is the IPv4 address it maps.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// One `X-Forwarded-For` entry: an address, possibly with a port or in brackets.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(sa) = hop.parse::<SocketAddr>() {
        return Some(sa.ip());
    }
    hop.strip_prefix('[').and_then(|h| h.strip_suffix(']')).and_then(|h| h.parse().ok())
}

/// The address the connection came from (unspecified behind a test harness without it).
pub fn peer_ip(parts: &Parts) -> IpAddr {
    parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// The client address of a request under the deployment's trusted proxies: the one function
/// every rate limit and throttle keys on.
pub fn client_addr(parts: &Parts, proxies: &TrustedProxies) -> Result<IpAddr, ForwardedError> {
    let values: Vec<&str> = parts.headers.get_all(FORWARDED_FOR).iter().filter_map(|v| v.to_str().ok()).collect();
    let joined = values.join(",");
    proxies.client_addr(peer_ip(parts), (!values.is_empty()).then_some(joined.as_str()))
}

/// Extractor: the request's client address (see [`client_addr`]). Refuses the request with
/// `400 untrusted_forwarded_for` when the header comes from a peer that is not trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl FromRequestParts<crate::AppState> for ClientAddr {
    type Rejection = crate::ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &crate::AppState) -> Result<Self, Self::Rejection> {
        client_addr(parts, &state.proxies).map(ClientAddr).map_err(|e| {
            tracing::warn!(error = %e, "forwarded address refused");
            crate::ApiError::untrusted_forwarded_for(e.to_string())
        })
    }
}

/// Middleware: a request whose forwarded address cannot be believed is answered
/// `400 untrusted_forwarded_for` before any handler runs, so it changes nothing.
pub(crate) async fn refuse_untrusted_forwarding(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let (parts, body) = req.into_parts();
    if let Err(e) = client_addr(&parts, &state.proxies) {
        tracing::warn!(error = %e, path = %parts.uri.path(), "forwarded address refused");
        return crate::ApiError::untrusted_forwarded_for(e.to_string()).into_response();
    }
    next.run(axum::extract::Request::from_parts(parts, body)).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn without_proxies_the_peer_is_the_client_whatever_the_header_says() {
        let p = TrustedProxies::default();
        assert_eq!(p.client_addr(ip("203.0.113.9"), Some("1.2.3.4")), Ok(ip("203.0.113.9")));
        assert_eq!(p.client_addr(ip("203.0.113.9"), None), Ok(ip("203.0.113.9")));
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let p = TrustedProxies::parse(&["127.0.0.1", "10.0.0.0/8"]).unwrap();
        // The balancer saw 198.51.100.7; whatever the client wrote to the left is ignored.
        assert_eq!(p.client_addr(ip("127.0.0.1"), Some("6.6.6.6, 198.51.100.7")), Ok(ip("198.51.100.7")));
        // Two trusted hops (an inner proxy at 10.1.2.3).
        assert_eq!(p.client_addr(ip("127.0.0.1"), Some("198.51.100.7, 10.1.2.3")), Ok(ip("198.51.100.7")));
        // Everything trusted: the leftmost hop.
        assert_eq!(p.client_addr(ip("127.0.0.1"), Some("10.9.9.9")), Ok(ip("10.9.9.9")));
        // Ports, brackets and IPv4-mapped peers.
        assert_eq!(p.client_addr(ip("::ffff:127.0.0.1"), Some("198.51.100.7:5555")), Ok(ip("198.51.100.7")));
        assert_eq!(p.client_addr(ip("127.0.0.1"), Some("[2001:db8::1]")), Ok(ip("2001:db8::1")));
        // Garbage where the balancer's hop should be: the balancer is the client.
        assert_eq!(p.client_addr(ip("127.0.0.1"), Some("unknown")), Ok(ip("127.0.0.1")));
        // No header: the peer.
        assert_eq!(p.client_addr(ip("127.0.0.1"), None), Ok(ip("127.0.0.1")));
    }

    #[test]
    fn a_forwarded_address_from_an_untrusted_peer_is_refused() {
        let p = TrustedProxies::parse(&["127.0.0.1"]).unwrap();
        assert_eq!(
            p.client_addr(ip("203.0.113.9"), Some("1.2.3.4")),
            Err(ForwardedError::UntrustedPeer(ip("203.0.113.9")))
        );
        // Without the header the peer is simply the client.
        assert_eq!(p.client_addr(ip("203.0.113.9"), None), Ok(ip("203.0.113.9")));
    }

    #[test]
    fn bad_entries_are_named() {
        let e = TrustedProxies::parse(&["10.0.0.0/8", "lb.internal"]).unwrap_err();
        assert!(e.contains("\"lb.internal\""), "{e}");
        assert!(TrustedProxies::parse(&["10.0.0.0/40"]).is_err());
    }
}
