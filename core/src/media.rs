//! Avatars for notifications: authenticated media thumbnails (MSC3916,
//! `GET /_matrix/client/v1/media/thumbnail/{serverName}/{mediaId}`), size-capped, cached in the
//! store the app and its extension share, and never fetched past a deadline — a notification is
//! shown without an avatar, or with a cached one, rather than late.

use crate::http::{Method, Request};
use crate::session::{SessionClient, SessionError};
use crate::store::StateStore;
use std::time::Duration;

/// The largest thumbnail read: a notification's avatar is small, and an extension's memory too.
pub const THUMBNAIL_MAX_BODY: usize = 256 * 1024;
/// The side, in pixels, of the thumbnails asked for: the largest a notification shows an avatar
/// at (Android's large icon and iOS communication notifications, at 3×).
pub const AVATAR_PIXELS: u32 = 144;
/// Thumbnails kept in the cache (the oldest go first).
const MAX_CACHED: usize = 100;
const CACHE_DIR: &str = "media";

/// An image, as the server sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Thumbnail {
    /// The image's bytes, at most [`THUMBNAIL_MAX_BODY`].
    pub bytes: Vec<u8>,
    /// `image/png`, `image/jpeg`, … (`application/octet-stream` when the server did not say).
    pub content_type: String,
}

/// Why a thumbnail could not be had. New reasons may be added in minor versions.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MediaError {
    /// The avatar URL is not `mxc://server/id` (the URL as given).
    #[error("{0:?} is not an mxc:// URL")]
    InvalidMxc(String),
    /// The request failed: no session, the server refused, the network, or a body over the cap.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// No thumbnail within the deadline given (show the notification without one).
    #[error("no thumbnail within {0:?}")]
    Deadline(Duration),
}

/// The server name and media id of an `mxc://server/id` URL (the id is `[A-Za-z0-9_-]+`).
pub fn parse_mxc(mxc: &str) -> Option<(&str, &str)> {
    let (server, id) = mxc.strip_prefix("mxc://")?.split_once('/')?;
    let id_ok = !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    let server_ok = !server.is_empty()
        && server
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    (id_ok && server_ok).then_some((server, id))
}

/// A thumbnail of `mxc` at most `pixels` square: from the cache, else from the server within
/// `deadline` (and cached). A zero deadline asks the cache only.
pub async fn thumbnail(
    session: &SessionClient,
    store: &StateStore,
    mxc: &str,
    pixels: u32,
    deadline: Duration,
) -> Result<Thumbnail, MediaError> {
    let (server, id) = parse_mxc(mxc).ok_or_else(|| MediaError::InvalidMxc(mxc.to_owned()))?;
    let name = cache_name(server, id, pixels);
    if let Some(cached) = cached(store, &name) {
        return Ok(cached);
    }
    if deadline.is_zero() {
        return Err(MediaError::Deadline(deadline));
    }
    let mut url = crate::urls::media_thumbnail_url(session.homeserver(), server, id);
    url.query_pairs_mut()
        .append_pair("width", &pixels.to_string())
        .append_pair("height", &pixels.to_string())
        .append_pair("method", "crop")
        .append_pair("animated", "false");
    let request = Request::new(Method::Get, url).max_body(THUMBNAIL_MAX_BODY);
    // The deadline covers retries and the body too.
    let fetched = tokio::time::timeout(deadline, session.send_request_for_answer(request)).await;
    let answer = fetched.map_err(|_| MediaError::Deadline(deadline))??;
    let thumbnail = Thumbnail {
        bytes: answer.body,
        content_type: answer
            .content_type
            .unwrap_or_else(|| "application/octet-stream".into()),
    };
    keep(store, &name, &thumbnail);
    Ok(thumbnail)
}

/// The cached thumbnail of `mxc` at `pixels`, if any (no request).
pub fn cached_thumbnail(store: &StateStore, mxc: &str, pixels: u32) -> Option<Thumbnail> {
    let (server, id) = parse_mxc(mxc)?;
    cached(store, &cache_name(server, id, pixels))
}

/// `media/<server>_<id>_<pixels>`. A server name's `:[]` (a port, an IPv6 address) become
/// `+()`, never `_`: a server has no `_` then, so the first one ends it and no two URLs share a
/// name (`mxc://a:8448/x` is `a+8448_x`, `mxc://a/8448_x` is `a_8448_x`).
fn cache_name(server: &str, id: &str, pixels: u32) -> String {
    let server: String = server
        .chars()
        .map(|c| match c {
            ':' => '+',
            '[' => '(',
            ']' => ')',
            c => c,
        })
        .collect();
    format!("{CACHE_DIR}/{server}_{id}_{pixels}")
}

fn cached(store: &StateStore, name: &str) -> Option<Thumbnail> {
    let bytes = store.read_bytes(name)?;
    let content_type = store.read_bytes(&format!("{name}.type"))?;
    Some(Thumbnail {
        bytes,
        content_type: String::from_utf8(content_type).ok()?,
    })
}

/// Caches a thumbnail (the type beside it), and drops the oldest beyond [`MAX_CACHED`].
fn keep(store: &StateStore, name: &str, thumbnail: &Thumbnail) {
    let written = store
        .write_bytes_cache(name, &thumbnail.bytes)
        .and_then(|()| store.write_bytes_cache(&format!("{name}.type"), thumbnail.content_type.as_bytes()));
    if let Err(e) = written {
        tracing::warn!("a thumbnail could not be cached: {e}");
        return;
    }
    let folder = store.dir().join(CACHE_DIR);
    let images = crate::store::beyond_the_newest(&folder, MAX_CACHED, |name| {
        !name.ends_with(".type") && !name.starts_with('.')
    });
    for path in images {
        let _ = std::fs::remove_file(&path);
        let _ = std::fs::remove_file(path.with_file_name(format!(
            "{}.type",
            path.file_name().unwrap_or_default().to_string_lossy()
        )));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mxc_urls() {
        assert_eq!(
            parse_mxc("mxc://example.org/AbC_d-9"),
            Some(("example.org", "AbC_d-9"))
        );
        assert_eq!(parse_mxc("mxc://[::1]:8448/x"), Some(("[::1]:8448", "x")));
        for bad in [
            "https://example.org/x",
            "mxc://example.org/",
            "mxc:///x",
            "mxc://example.org/a/b",
            "mxc://ex ample/x",
        ] {
            assert_eq!(parse_mxc(bad), None, "{bad}");
        }
        assert_eq!(cache_name("[::1]:8448", "x", 96), "media/(++1)+8448_x_96");
        assert_ne!(
            cache_name("a:8448", "x", 96),
            cache_name("a", "8448_x", 96),
            "a port is not part of the media id"
        );
    }

    #[test]
    fn the_cache_keeps_the_newest() {
        let dir = std::env::temp_dir().join(format!("matrix-push-media-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = StateStore::open(&dir).unwrap();
        let image = |n: usize| Thumbnail {
            bytes: vec![n as u8; 4],
            content_type: "image/png".into(),
        };
        for n in 0..MAX_CACHED + 3 {
            keep(
                &store,
                &cache_name("example.org", &format!("m{n}"), 96),
                &image(n),
            );
        }
        let kept = std::fs::read_dir(dir.join(CACHE_DIR)).unwrap().count();
        assert_eq!(kept, MAX_CACHED * 2, "each image with its type");
        let last = format!("mxc://example.org/m{}", MAX_CACHED + 2);
        assert_eq!(cached_thumbnail(&store, &last, 96), Some(image(MAX_CACHED + 2)));
    }
}
