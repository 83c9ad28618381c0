//! The client address used only as an in-memory rate-limit key: the socket peer, or, when the peer is
//! a configured trusted proxy, the rightmost X-Forwarded-For entry that is not itself a trusted proxy
//! (the leftmost entries are whatever the client chose to send).
use axum::http::HeaderMap;
use std::net::IpAddr;

/// The client address of a request, for limiter keys only: it lives in the caller's stack frame and
/// the limiters' in-memory maps, never in a log or the database.
pub fn of_request(
    extensions: &axum::http::Extensions,
    headers: &HeaderMap,
    state: &crate::state::AppState,
) -> IpAddr {
    let peer = extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]));
    client_addr(peer, headers, &state.settings.server.trusted_proxies)
}

pub fn client_addr(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    for entry in forwarded.iter().rev() {
        match entry.parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => continue,
            Ok(ip) => return ip,
            // A garbled entry ends the trustworthy part of the chain.
            Err(_) => return peer,
        }
    }
    peer
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", xff.parse().unwrap());
        h
    }

    #[test]
    fn forwarded_header_counts_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let client: IpAddr = "203.0.113.9".parse().unwrap();
        let h = headers("1.2.3.4, 203.0.113.9");
        assert_eq!(client_addr(client, &h, &[proxy]), client);
        assert_eq!(client_addr(proxy, &h, &[proxy]), client);
        assert_eq!(client_addr(proxy, &headers("garbage"), &[proxy]), proxy);
        assert_eq!(client_addr(proxy, &HeaderMap::new(), &[proxy]), proxy);
    }
}
