//! URLs of the client-server API: the base a homeserver URL gives, API paths and percent-encoded
//! segments (room ids, rule ids, …) joined onto it, and whether a host is this machine (where
//! plain http is allowed). Pure: no I/O.

use url::Url;

/// The client-server API base for `url`: `None` unless it is an http(s) URL that can be a base;
/// a path (`https://example.org/matrix`) gets a final `/`, so that API paths join onto it.
pub fn api_base(mut url: Url) -> Option<Url> {
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return None;
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Some(url)
}

/// `base` + `/_matrix/client/v3/` + `path` (a fixed path; use [`client_api_url_of`] for paths
/// with ids in them).
pub fn client_api_url(base: &Url, path: &str) -> Url {
    base.join("_matrix/client/v3/")
        .and_then(|api| api.join(path))
        .expect("paths are built from encoded segments")
}

/// `base` + `/_matrix/client/v3/` + the segments, each percent-encoded.
pub fn client_api_url_of(base: &Url, segments: &[&str]) -> Url {
    let mut url = client_api_url(base, "");
    url.path_segments_mut()
        .expect("an http(s) URL has path segments")
        .pop_if_empty()
        .extend(segments);
    url
}

/// Whether `host` (a URL host; IPv6 with or without brackets) names this machine.
pub fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bases_paths_and_segments() {
        let base = |url: &str| api_base(Url::parse(url).unwrap());
        assert_eq!(
            base("https://example.org/matrix").unwrap().as_str(),
            "https://example.org/matrix/"
        );
        assert!(base("mailto:a@b.c").is_none() && base("ftp://example.org/").is_none());
        let matrix = base("https://example.org/matrix").unwrap();
        assert_eq!(
            client_api_url(&matrix, "login").as_str(),
            "https://example.org/matrix/_matrix/client/v3/login"
        );
        assert_eq!(
            client_api_url_of(&matrix, &["pushrules", "global", "room", "!a:b/c"]).as_str(),
            "https://example.org/matrix/_matrix/client/v3/pushrules/global/room/!a:b%2Fc"
        );
    }

    #[test]
    fn loopback_hosts() {
        for host in ["localhost", "127.0.0.1", "127.8.9.1", "::1", "[::1]"] {
            assert!(is_loopback(host), "{host}");
        }
        for host in ["example.org", "10.0.0.1", "localhost.example.org", "[::2]"] {
            assert!(!is_loopback(host), "{host}");
        }
    }
}
