//! Matching a request's path to a route when sourcedIds may hold `/`.
//!
//! The CSV binding lets a GUID hold `0-9 a-z A-Z . - _ / @`, clients put ids into paths without
//! percent-encoding them, and API Gateway's HTTP API hands the function its path decoded anyway
//! (`usr%2F001` arrives as `usr/001`). So a path cannot be cut into segments, one per id.
//! Instead every route's path is its fixed words around one or two ids (a fixed head, a fixed
//! middle between two ids, a fixed tail), and a path is matched by those words: everything
//! between the head and the tail is the id (`/teachers/a/b/classes` is teacher `a/b`'s
//! classes). Where a path could mean two routes, the route with more fixed words wins
//! (`/classes/x/students` is class `x`'s students, not class `x/students`); between two splits
//! (of one route or of two with as many fixed words), the one whose fixed middle comes last,
//! so that the first id is the longest.

/// A route's path below its base: fixed words, and at most two ids, never side by side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Word(&'static str),
    Id,
}

impl Template {
    /// Reads an OpenAPI path (`/classes/{classSourcedId}/students`). Panics on a shape no
    /// OneRoster route has (ids side by side, more than two): route tables are fixed at build
    /// time and a test reads every one.
    pub fn parse(path: &'static str) -> Self {
        let parts: Vec<Part> = path
            .split('/')
            .filter(|segment| !segment.is_empty())
            .map(|segment| if segment.starts_with('{') { Part::Id } else { Part::Word(segment) })
            .collect();
        let ids = parts.iter().filter(|p| **p == Part::Id).count();
        let adjacent = parts.windows(2).any(|pair| pair[0] == Part::Id && pair[1] == Part::Id);
        assert!(ids <= 2 && !adjacent, "{path}: a route has at most two ids, with a fixed word between them");
        Self { parts }
    }

    /// How many fixed words the path has: the more, the more specific the route.
    pub fn fixed_words(&self) -> usize {
        self.parts.iter().filter(|p| matches!(p, Part::Word(_))).count()
    }

    /// The words of `parts` (a run of words).
    fn words(parts: &[Part]) -> Vec<&'static str> {
        parts.iter().filter_map(|p| if let Part::Word(w) = p { Some(*w) } else { None }).collect()
    }

    /// The ids `segments` (a decoded path below the base, split at `/`) give this route, or
    /// `None` when it does not match. With two ids, the fixed middle's last occurrence splits.
    pub fn ids(&self, segments: &[&str]) -> Option<Vec<String>> {
        let slots: Vec<usize> =
            self.parts.iter().enumerate().filter(|(_, p)| **p == Part::Id).map(|(i, _)| i).collect();
        let (Some(first), Some(last)) = (slots.first(), slots.last()) else {
            return (Self::words(&self.parts) == segments).then(Vec::new);
        };
        let (head, tail) = (Self::words(&self.parts[..*first]), Self::words(&self.parts[last + 1..]));
        if segments.len() < head.len() + tail.len() + slots.len() {
            return None;
        }
        let between = segments.len() - tail.len();
        if segments[..head.len()] != head[..] || segments[between..] != tail[..] {
            return None;
        }
        let region = &segments[head.len()..between];
        let id = |segments: &[&str]| Some(segments.join("/")).filter(|id| !id.is_empty());
        match slots.as_slice() {
            [_] => Some(vec![id(region)?]),
            [first, second] => {
                let middle = Self::words(&self.parts[first + 1..*second]);
                // The last place the middle fits with at least one segment on either side.
                let at = (1..region.len().saturating_sub(middle.len()))
                    .rev()
                    .find(|&i| region[i..i + middle.len()] == middle[..])?;
                Some(vec![id(&region[..at])?, id(&region[at + middle.len()..])?])
            }
            _ => None,
        }
    }
}

/// Routes to choose among by path: each template with what serves it.
#[derive(Debug, Clone)]
pub struct Paths<T> {
    routes: Vec<(Template, T)>,
}

impl<T> Paths<T> {
    /// The routes, in any order.
    pub fn new(routes: Vec<(Template, T)>) -> Self {
        Self { routes }
    }

    /// The route `path` (decoded, below the base: `/classes/a/b/students`) means, with its ids:
    /// the matching route with the most fixed words, then the one whose first id is longest
    /// (its fixed middle comes last). A path ending in `/` is no route's (no id ends so in
    /// practice, and `/users/u-1/` is a typo, not user `u-1/`).
    pub fn find(&self, path: &str) -> Option<(&T, Vec<String>)> {
        let path = path.strip_prefix('/').unwrap_or(path);
        if path.ends_with('/') {
            return None;
        }
        let segments: Vec<&str> = path.split('/').collect();
        self.routes
            .iter()
            .filter_map(|(template, served)| Some((template.fixed_words(), template.ids(&segments)?, served)))
            .max_by_key(|(words, ids, _)| (*words, ids.first().map_or(0, String::len)))
            .map(|(_, ids, served)| (served, ids))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROUTES: [&str; 9] = [
        "/classes",
        "/classes/{sourcedId}",
        "/classes/{classSourcedId}/students",
        "/classes/{classSourcedId}/results",
        "/classes/{classSourcedId}/lineItems/{lineItemSourcedId}/results",
        "/classes/{classSourcedId}/students/{studentSourcedId}/results",
        "/schools/{schoolSourcedId}/classes/{classSourcedId}/students",
        "/schools/{sourcedId}/classes",
        "/teachers/{teacherSourcedId}/classes",
    ];

    fn find(path: &str) -> Option<(&'static str, Vec<String>)> {
        let paths = Paths::new(ROUTES.iter().map(|p| (Template::parse(p), *p)).collect());
        paths.find(path).map(|(route, ids)| (*route, ids))
    }

    fn found(route: &'static str, ids: &[&str]) -> Option<(&'static str, Vec<String>)> {
        Some((route, ids.iter().map(|id| id.to_string()).collect()))
    }

    #[test]
    fn plain_ids_match_one_segment() {
        assert_eq!(find("classes"), found("/classes", &[]));
        assert_eq!(find("classes/k-1"), found("/classes/{sourcedId}", &["k-1"]));
        assert_eq!(find("teachers/t-1/classes"), found("/teachers/{teacherSourcedId}/classes", &["t-1"]));
        assert_eq!(find("/classes/k-1/students"), found("/classes/{classSourcedId}/students", &["k-1"]));
    }

    #[test]
    fn an_id_with_slashes_is_everything_between_the_head_and_the_tail() {
        assert_eq!(
            find("teachers/usr/0000000@lu/classes"),
            found("/teachers/{teacherSourcedId}/classes", &["usr/0000000@lu"])
        );
        assert_eq!(find("classes/2024/MATH-101"), found("/classes/{sourcedId}", &["2024/MATH-101"]));
        assert_eq!(
            find("schools/a/b/classes/2024/MATH/students"),
            found("/schools/{schoolSourcedId}/classes/{classSourcedId}/students", &["a/b", "2024/MATH"])
        );
        assert_eq!(
            find("classes/2024/M/lineItems/li/1@x/results"),
            found("/classes/{classSourcedId}/lineItems/{lineItemSourcedId}/results", &["2024/M", "li/1@x"])
        );
    }

    #[test]
    fn more_fixed_words_win_then_the_last_fixed_middle() {
        // Class x's students, not class `x/students`.
        assert_eq!(find("classes/x/students"), found("/classes/{classSourcedId}/students", &["x"]));
        // Class x's results for student y, not class `x/students/y`'s results.
        assert_eq!(
            find("classes/x/students/y/results"),
            found("/classes/{classSourcedId}/students/{studentSourcedId}/results", &["x", "y"])
        );
        // Two splits of one route: the middle's last occurrence.
        assert_eq!(
            find("schools/a/classes/b/classes/c/students"),
            found("/schools/{schoolSourcedId}/classes/{classSourcedId}/students", &["a/classes/b", "c"])
        );
        // Two routes with three fixed words: the one whose middle comes last.
        assert_eq!(
            find("classes/a/lineItems/b/students/c/results"),
            found("/classes/{classSourcedId}/students/{studentSourcedId}/results", &["a/lineItems/b", "c"])
        );
    }

    #[test]
    fn paths_no_route_has_are_not_found() {
        for path in
            ["", "classes/", "/classes/k-1/", "//classes", "users", "teachers/t-1", "schools//classes", "/schools"]
        {
            assert_eq!(find(path), None, "{path}");
        }
    }

    #[test]
    #[should_panic(expected = "at most two ids")]
    fn adjacent_ids_are_not_a_route() {
        Template::parse("/a/{x}/{y}");
    }
}
