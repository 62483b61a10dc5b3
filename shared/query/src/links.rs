//! The `Link` header (RFC 8288) of a list response: `first`, `prev`, `next` and `last`, each
//! the request's own URL with `offset` (and, for `next`, the paging cursor) replaced, so that
//! the caller's filter, sort and fields carry over. The other parameters are repeated as the
//! client wrote them ([`ListParams::echo`](crate::ListParams::echo)), whose length
//! [`MAX_QUERY_BYTES`](crate::MAX_QUERY_BYTES) bounds: the header never grows past four URLs of
//! that size.

/// What the links of one page are made from.
#[derive(Debug, Clone)]
pub struct PageLinks<'a> {
    /// The request's URL without its query (absolute, or a path).
    pub url: &'a str,
    /// The request's parameters other than the paging ones, as a query string (see
    /// [`ListParams::echo`](crate::ListParams::echo)).
    pub echo: &'a str,
    /// The page's offset.
    pub offset: u64,
    /// The page's limit.
    pub limit: usize,
    /// Records on this page (fewer than `limit` when a page is cut short).
    pub returned: usize,
    /// Records in the whole answer (`X-Total-Count`).
    pub total: u64,
    /// The store's cursor for the next page, when it can resume there in O(page).
    pub next_cursor: Option<String>,
}

/// The `Link` header value.
pub fn link_header(page: &PageLinks) -> String {
    let limit = page.limit as u64;
    let last_offset = page.total.saturating_sub(1) / limit * limit;
    let mut links = vec![(page.url_at(0, None), "first")];
    if page.offset > 0 {
        links.push((page.url_at(page.offset.saturating_sub(limit), None), "prev"));
    }
    let next_offset = page.offset + page.returned as u64;
    if next_offset < page.total {
        links.push((page.url_at(next_offset, page.next_cursor.as_deref()), "next"));
    }
    links.push((page.url_at(last_offset, None), "last"));
    links.iter().map(|(url, rel)| format!("<{url}>; rel=\"{rel}\"")).collect::<Vec<_>>().join(", ")
}

impl PageLinks<'_> {
    fn url_at(&self, offset: u64, cursor: Option<&str>) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("limit", &self.limit.to_string());
        query.append_pair("offset", &offset.to_string());
        if let Some(cursor) = cursor {
            query.append_pair("cursor", cursor);
        }
        match self.echo {
            "" => format!("{}?{}", self.url, query.finish()),
            echo => format!("{}?{echo}&{}", self.url, query.finish()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn middle_page_has_all_four_and_keeps_other_parameters() {
        let header = link_header(&PageLinks {
            url: "http://h/users",
            echo: "filter=status%3D%27active%27",
            offset: 10,
            limit: 10,
            returned: 10,
            total: 35,
            next_cursor: Some("3.u9".into()),
        });
        assert_eq!(
            header,
            "<http://h/users?filter=status%3D%27active%27&limit=10&offset=0>; rel=\"first\", \
             <http://h/users?filter=status%3D%27active%27&limit=10&offset=0>; rel=\"prev\", \
             <http://h/users?filter=status%3D%27active%27&limit=10&offset=20&cursor=3.u9>; rel=\"next\", \
             <http://h/users?filter=status%3D%27active%27&limit=10&offset=30>; rel=\"last\""
        );
    }

    #[test]
    fn last_page_has_no_next_and_empty_answer_points_at_zero() {
        let header = link_header(&PageLinks {
            url: "/u",
            echo: "",
            offset: 30,
            limit: 10,
            returned: 5,
            total: 35,
            next_cursor: None,
        });
        assert!(!header.contains("next"));
        assert!(header.ends_with("</u?limit=10&offset=30>; rel=\"last\""));
        let empty = link_header(&PageLinks {
            url: "/u",
            echo: "",
            offset: 0,
            limit: 10,
            returned: 0,
            total: 0,
            next_cursor: None,
        });
        assert_eq!(empty, "</u?limit=10&offset=0>; rel=\"first\", </u?limit=10&offset=0>; rel=\"last\"");
    }
}
