//! Following a source's pages: its `Link` header's `next` when it sends one (a source that
//! pages by links ends where its last page names no `next`), else `offset` and `limit`
//! (OneRoster's own paging) until `X-Total-Count` or an empty page (never a short one: a
//! source may serve fewer than asked, its own page size, on every page).
//!
//! A `next` link is followed only on the source's own origin (scheme, host and port), since
//! the call carries the district's token; a relative one is taken against that origin. A
//! source that serves the same page again for the next offset (one that ignores `offset`) is
//! stopped with an error rather than read forever (and so is one whose pages cycle: the pull
//! stops at a page of records all served before).

use crate::client::Answer;
use serde_json::Value;

/// The first page's URL of `collection` under `base` on `root`.
pub fn first(root: &str, base: &str, collection: &str, limit: usize) -> String {
    format!("{root}{base}/{collection}?limit={limit}&offset=0")
}

/// The records of a page: the array under the collection's name.
pub fn records(body: &[u8], collection: &str) -> Result<Vec<Value>, String> {
    let mut page: Value = serde_json::from_slice(body).map_err(|e| format!("the answer is not JSON ({e})"))?;
    match page.get_mut(collection).map(Value::take) {
        Some(Value::Array(records)) => Ok(records),
        Some(_) => Err(format!("the answer's \"{collection}\" is not a list")),
        None => Err(format!("the answer has no \"{collection}\" list")),
    }
}

/// The `next` target of a `Link` header (RFC 8288: `<target>; rel="next"`, entries separated
/// by commas, a target's own commas inside its brackets).
pub fn next_link(link: &str) -> Option<String> {
    let mut rest = link;
    while let Some(open) = rest.find('<') {
        let close = open + rest[open..].find('>')?;
        let target = &rest[open + 1..close];
        let params_end = rest[close..].find('<').map_or(rest.len(), |at| close + at);
        let params = rest[close + 1..params_end].trim().trim_end_matches(',');
        let is_next = params.split(';').any(|param| {
            let (name, value) = param.split_once('=').unwrap_or((param, ""));
            name.trim().eq_ignore_ascii_case("rel")
                && value.trim().trim_matches('"').split_ascii_whitespace().any(|rel| rel.eq_ignore_ascii_case("next"))
        });
        if is_next {
            return Some(target.to_owned());
        }
        rest = &rest[params_end..];
    }
    None
}

/// The scheme, host and port of `url` (`https://sis.example:8443`), lower case.
pub fn origin(url: &str) -> Option<String> {
    let uri: hyper::Uri = url.parse().ok()?;
    Some(format!("{}://{}", uri.scheme_str()?, uri.authority()?).to_ascii_lowercase())
}

/// The pages of one collection: the URL of the next one to read, learnt from each answer.
#[derive(Debug)]
pub struct Pages {
    next: Option<String>,
    origin: String,
    offset: u64,
    last_first_id: Option<String>,
    by_links: bool,
}

impl Pages {
    /// The pages of `collection` under `base` on `root`, `limit` records each.
    pub fn new(root: &str, base: &str, collection: &str, limit: usize) -> Self {
        Self {
            next: Some(first(root, base, collection, limit)),
            origin: origin(root).unwrap_or_default(),
            offset: 0,
            last_first_id: None,
            by_links: false,
        }
    }

    /// The URL to read next; `None` once the last page was read.
    pub fn next_url(&mut self) -> Option<String> {
        self.next.take()
    }

    /// Learns where the page after `answer` (with `records`) is.
    pub fn read(&mut self, answer: &Answer, records: &[Value]) -> Result<(), String> {
        let first_id = records.first().and_then(|r| r.get("sourcedId")).and_then(Value::as_str).map(str::to_owned);
        if first_id.is_some() && first_id == self.last_first_id {
            return Err("the source served the same page again for the next one (does it ignore offset?)".to_owned());
        }
        self.last_first_id = first_id;
        let got = records.len() as u64;
        let current = answer.url.clone();
        self.offset += got;
        if let Some(link) = answer.link.as_deref().and_then(next_link) {
            let target = if link.starts_with('/') { format!("{}{link}", self.origin) } else { link };
            if origin(&target).as_deref() != Some(self.origin.as_str()) {
                return Err(format!(
                    "its next page is on another origin ({target}); the district's token is not sent there"
                ));
            }
            if got > 0 {
                self.next = Some(target);
            }
            self.by_links = true;
            return Ok(());
        }
        let more = match answer.total {
            _ if self.by_links => false,
            Some(total) => got > 0 && self.offset < total,
            None => got > 0,
        };
        if more {
            self.next = Some(with_offset(&current, self.offset));
        }
        Ok(())
    }
}

/// `url` with its `offset` parameter set to `offset` (added when it has none).
fn with_offset(url: &str, offset: u64) -> String {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let mut params: Vec<String> =
        query.split('&').filter(|p| !p.is_empty() && !p.starts_with("offset=")).map(str::to_owned).collect();
    params.push(format!("offset={offset}"));
    format!("{path}?{}", params.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn answer(url: &str, link: Option<&str>, total: Option<u64>) -> Answer {
        Answer { url: url.to_owned(), link: link.map(str::to_owned), total, body: Vec::new() }
    }

    fn page(ids: &[&str]) -> Vec<Value> {
        ids.iter().map(|id| json!({"sourcedId": id})).collect()
    }

    #[test]
    fn the_next_link_is_found_among_others_with_commas_in_targets() {
        let link = "<https://sis.example/u?filter=a%3D1,b&offset=0>; rel=\"first\", \
                    <https://sis.example/u?filter=x,y&offset=2>; rel=\"next\", <https://sis.example/u?offset=8>; rel=last";
        assert_eq!(next_link(link).as_deref(), Some("https://sis.example/u?filter=x,y&offset=2"));
        assert_eq!(next_link("<https://sis.example/u?offset=8>; rel=\"last\""), None);
        assert_eq!(next_link("</u?offset=2>;rel=\"prev next\"").as_deref(), Some("/u?offset=2"));
    }

    #[test]
    fn links_are_followed_on_the_sources_origin_only() {
        let mut pages = Pages::new("https://sis.example/d", "/ims/oneroster/v1p1", "users", 2);
        let url = pages.next_url().unwrap();
        assert_eq!(url, "https://sis.example/d/ims/oneroster/v1p1/users?limit=2&offset=0");
        let relative = answer(&url, Some("</d/ims/oneroster/v1p1/users?cursor=x>; rel=\"next\""), None);
        pages.read(&relative, &page(&["a", "b"])).unwrap();
        assert_eq!(pages.next_url().as_deref(), Some("https://sis.example/d/ims/oneroster/v1p1/users?cursor=x"));
        let elsewhere = answer(&url, Some("<https://evil.example/users?offset=4>; rel=\"next\""), None);
        let refused = pages.read(&elsewhere, &page(&["c", "d"])).unwrap_err();
        assert!(refused.contains("evil.example"), "{refused}");
    }

    #[test]
    fn without_links_offsets_go_on_to_the_total_or_a_short_page() {
        let mut pages = Pages::new("http://127.0.0.1:9", "/b", "orgs", 2);
        let first = pages.next_url().unwrap();
        pages.read(&answer(&first, None, Some(3)), &page(&["a", "b"])).unwrap();
        let second = pages.next_url().unwrap();
        assert_eq!(second, "http://127.0.0.1:9/b/orgs?limit=2&offset=2");
        pages.read(&answer(&second, None, Some(3)), &page(&["c"])).unwrap();
        assert_eq!(pages.next_url(), None, "the total is reached");

        let mut pages = Pages::new("http://127.0.0.1:9", "/b", "orgs", 2);
        let first = pages.next_url().unwrap();
        pages.read(&answer(&first, None, None), &page(&["a", "b"])).unwrap();
        let second = pages.next_url().unwrap();
        pages.read(&answer(&second, None, None), &page(&["c"])).unwrap();
        let third = pages.next_url().expect("a short page may be the source's own page size");
        assert_eq!(third, "http://127.0.0.1:9/b/orgs?limit=2&offset=3");
        pages.read(&answer(&third, None, None), &page(&[])).unwrap();
        assert_eq!(pages.next_url(), None, "an empty page is the last");

        let mut pages = Pages::new("http://127.0.0.1:9", "/b", "orgs", 2);
        let first = pages.next_url().unwrap();
        pages.read(&answer(&first, Some("</b/orgs?cursor=2>; rel=\"next\""), Some(4)), &page(&["a", "b"])).unwrap();
        let second = pages.next_url().unwrap();
        pages.read(&answer(&second, Some("</b/orgs?offset=0>; rel=\"first\""), Some(4)), &page(&["c", "d"])).unwrap();
        assert_eq!(pages.next_url(), None, "paged by links, a page without next is the last");
    }

    #[test]
    fn a_source_that_ignores_offset_is_stopped() {
        let mut pages = Pages::new("http://127.0.0.1:9", "/b", "orgs", 2);
        let first = pages.next_url().unwrap();
        pages.read(&answer(&first, None, None), &page(&["a", "b"])).unwrap();
        let second = pages.next_url().unwrap();
        let refused = pages.read(&answer(&second, None, None), &page(&["a", "b"])).unwrap_err();
        assert!(refused.contains("same page"), "{refused}");
    }

    #[test]
    fn a_page_is_the_list_under_the_collections_name() {
        assert_eq!(records(br#"{"orgs":[{"sourcedId":"o"}]}"#, "orgs").unwrap().len(), 1);
        assert!(records(br#"{"org":[]}"#, "orgs").unwrap_err().contains("no \"orgs\""));
        assert!(records(b"<html>", "orgs").unwrap_err().contains("not JSON"));
    }
}
