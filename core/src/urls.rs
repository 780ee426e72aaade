//! URLs of the client-server API: the base a homeserver URL gives, API paths and percent-encoded
//! segments (room ids, rule ids, …) joined onto it, the few endpoints outside `v3` (`versions`,
//! authenticated media, `.well-known`), and whether a host is this machine (where plain http is
//! allowed). Every homeserver URL the SDK builds itself is built here (ruma builds the crypto
//! requests' from the base). Pure: no I/O.

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

/// `base` + `/_matrix/client/versions`: unversioned, the endpoint that tells whether a Matrix
/// server is there (discovery and the command line's `doctor` ask it).
pub fn versions_url(base: &Url) -> Url {
    base.join("_matrix/client/versions")
        .expect("a fixed path joins onto an API base")
}

/// `base` + `/_matrix/client/v1/media/thumbnail/{server}/{media_id}`: an authenticated media
/// thumbnail (MSC3916, in the spec since v1.11), the two segments percent-encoded.
pub fn media_thumbnail_url(base: &Url, server: &str, media_id: &str) -> Url {
    let mut url = base
        .join("_matrix/client/v1/media/thumbnail/")
        .expect("a fixed path joins onto an API base");
    url.path_segments_mut()
        .expect("an http(s) URL has path segments")
        .pop_if_empty()
        .extend([server, media_id]);
    url
}

/// `origin` + `/.well-known/matrix/client`: where a server name's homeserver is discovered.
pub fn well_known_client_url(origin: &Url) -> Url {
    origin
        .join("/.well-known/matrix/client")
        .expect("a fixed path joins onto an http(s) origin")
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
    fn endpoints_outside_v3() {
        let matrix = api_base(Url::parse("https://example.org/matrix").unwrap()).unwrap();
        assert_eq!(
            versions_url(&matrix).as_str(),
            "https://example.org/matrix/_matrix/client/versions"
        );
        assert_eq!(
            media_thumbnail_url(&matrix, "example.org:8448", "abc_D-1").as_str(),
            "https://example.org/matrix/_matrix/client/v1/media/thumbnail/example.org:8448/abc_D-1"
        );
        assert_eq!(
            media_thumbnail_url(&matrix, "[::1]:8448", "a/b").as_str(),
            "https://example.org/matrix/_matrix/client/v1/media/thumbnail/[::1]:8448/a%2Fb"
        );
        let origin = Url::parse("https://example.org").unwrap();
        assert_eq!(
            well_known_client_url(&origin).as_str(),
            "https://example.org/.well-known/matrix/client"
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
