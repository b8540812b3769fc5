//! The HTTP trigger's route table, matched as Spin matches.
//!
//! A route is a sequence of segments — literal, or `:name` (one segment, captured) — that may
//! end in `/...` (any rest, including nothing). When several routes match a path, the most
//! specific wins, compared segment by segment: a literal beats a `:name`, which beats the
//! trailing wildcard, and a route that ends exactly where the path ends beats a wildcard that
//! matches nothing. Private routes are not in the table at all.

use anyhow::bail;

/// One public route of the table.
#[derive(Clone, Debug)]
pub struct Route {
    /// The component it runs.
    pub component: String,
    /// The route as written in the manifest (`/users/:id/...`).
    pub raw: String,
    segments: Vec<Segment>,
    wildcard: bool,
}

#[derive(Clone, Debug, PartialEq)]
enum Segment {
    Literal(String),
    Param(String),
}

/// `:name` captures, in route order.
type Params = Vec<(String, String)>;

/// What a request path matched, with everything the `spin-*` headers need.
#[derive(Debug, PartialEq)]
pub struct RouteMatch<'a> {
    /// The component to run.
    pub component: &'a str,
    /// The route as written (`spin-matched-route`, `spin-raw-component-route`).
    pub raw_route: &'a str,
    /// The route without its trailing `/...` (`spin-component-route`).
    pub component_route: &'a str,
    /// The part of the path the wildcard matched (`spin-path-info`), empty for exact routes.
    pub path_info: String,
    /// `:name` captures (`spin-path-match-<name>`).
    pub params: Vec<(String, String)>,
}

/// Rank of a route's segment at one position of the path; higher is more specific.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    Wildcard,
    Param,
    Literal,
    End,
}

/// Checks a route pattern's syntax.
pub fn check_pattern(pattern: &str) -> anyhow::Result<()> {
    Route::parse(String::new(), pattern).map(|_| ())
}

impl Route {
    fn parse(component: String, pattern: &str) -> anyhow::Result<Route> {
        if !pattern.starts_with('/') {
            bail!("a route must start with `/`");
        }
        let (body, wildcard) = match pattern.strip_suffix("/...") {
            Some(body) => (body, true),
            None => (pattern, false),
        };
        let mut segments = Vec::new();
        for seg in body.split('/').filter(|s| !s.is_empty()) {
            if seg == "..." {
                bail!("`...` is only allowed as the last segment");
            }
            if let Some(name) = seg.strip_prefix(':') {
                if name.is_empty()
                    || !name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                {
                    bail!("invalid parameter segment `{seg}`");
                }
                segments.push(Segment::Param(name.to_string()));
            } else {
                segments.push(Segment::Literal(seg.to_string()));
            }
        }
        Ok(Route {
            component,
            raw: pattern.to_string(),
            segments,
            wildcard,
        })
    }

    fn component_route(&self) -> &str {
        if self.wildcard {
            &self.raw[..self.raw.len() - "/...".len()]
        } else {
            &self.raw
        }
    }

    /// The match and its rank vector, when the route matches `path_segments`.
    fn matches(&self, path_segments: &[&str]) -> Option<(Vec<Rank>, Params)> {
        if path_segments.len() < self.segments.len()
            || (!self.wildcard && path_segments.len() != self.segments.len())
        {
            return None;
        }
        let mut ranks = Vec::with_capacity(self.segments.len() + 1);
        let mut params = Vec::new();
        for (seg, actual) in self.segments.iter().zip(path_segments) {
            match seg {
                Segment::Literal(lit) if lit == actual => ranks.push(Rank::Literal),
                Segment::Literal(_) => return None,
                Segment::Param(name) => {
                    ranks.push(Rank::Param);
                    params.push((name.clone(), (*actual).to_string()));
                }
            }
        }
        ranks.push(if self.wildcard {
            Rank::Wildcard
        } else {
            Rank::End
        });
        Some((ranks, params))
    }
}

/// The public routes of the application.
#[derive(Clone, Debug, Default)]
pub struct Router {
    routes: Vec<Route>,
}

impl Router {
    /// Builds the table from `(component, pattern)` pairs in manifest order. A pattern given
    /// twice keeps the later component, as Spin does; `on_duplicate` hears about it.
    pub fn build<'a>(
        routes: impl IntoIterator<Item = (&'a str, &'a str)>,
        mut on_duplicate: impl FnMut(&str, &str, &str),
    ) -> anyhow::Result<Router> {
        let mut table: Vec<Route> = Vec::new();
        for (component, pattern) in routes {
            let route = Route::parse(component.to_string(), pattern)?;
            if let Some(existing) = table.iter_mut().find(|r| r.raw == route.raw) {
                on_duplicate(&route.raw, &existing.component, component);
                *existing = route;
            } else {
                table.push(route);
            }
        }
        Ok(Router { routes: table })
    }

    /// The most specific route matching `path` (without query), if any.
    pub fn route<'a>(&'a self, path: &str) -> Option<RouteMatch<'a>> {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let (route, _, params) = self
            .routes
            .iter()
            .filter_map(|r| r.matches(&segments).map(|(rank, params)| (r, rank, params)))
            .max_by(|a, b| a.1.cmp(&b.1))?;
        let path_info = if route.wildcard {
            skip_segments(path, route.segments.len()).to_string()
        } else {
            String::new()
        };
        Some(RouteMatch {
            component: &route.component,
            raw_route: &route.raw,
            component_route: route.component_route(),
            path_info,
            params,
        })
    }

    /// Every route, for the start-up listing.
    pub fn routes(&self) -> impl Iterator<Item = &Route> {
        self.routes.iter()
    }
}

/// The rest of `path` after its first `n` non-empty segments, starting with `/` (or empty).
fn skip_segments(path: &str, n: usize) -> &str {
    let mut rest = path;
    for _ in 0..n {
        rest = rest.trim_start_matches('/');
        rest = rest.find('/').map_or("", |i| &rest[i..]);
    }
    rest
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(routes: &[(&str, &str)]) -> Router {
        Router::build(routes.iter().copied(), |_, _, _| {}).unwrap()
    }

    #[test]
    fn wildcard_routes_report_path_info_like_spin() {
        let r = router(&[("hello", "/hello/...")]);
        let m = r.route("/hello/foo/bar").unwrap();
        assert_eq!(
            (m.component, m.raw_route, m.component_route),
            ("hello", "/hello/...", "/hello")
        );
        assert_eq!(m.path_info, "/foo/bar");
        assert_eq!(r.route("/hello").unwrap().path_info, "");
        assert!(r.route("/helloworld").is_none());
    }

    #[test]
    fn exact_routes_match_only_themselves() {
        let r = router(&[("e", "/exact")]);
        let m = r.route("/exact").unwrap();
        assert_eq!(
            (m.raw_route, m.component_route, m.path_info.as_str()),
            ("/exact", "/exact", "")
        );
        assert!(r.route("/exact/more").is_none());
        assert!(r.route("/").is_none());
    }

    #[test]
    fn named_segments_are_captured() {
        let r = router(&[("u", "/users/:id/posts/:post/...")]);
        let m = r.route("/users/42/posts/abc/rest/of/path").unwrap();
        assert_eq!(
            m.params,
            vec![("id".into(), "42".into()), ("post".into(), "abc".into())]
        );
        assert_eq!(m.path_info, "/rest/of/path");
        assert_eq!(m.component_route, "/users/:id/posts/:post");
    }

    #[test]
    fn the_most_specific_route_wins() {
        let r = router(&[
            ("root", "/..."),
            ("api", "/api/..."),
            ("item", "/api/items/:id"),
            ("new", "/api/items/new"),
            ("exact", "/api"),
        ]);
        assert_eq!(r.route("/other").unwrap().component, "root");
        assert_eq!(r.route("/api/x").unwrap().component, "api");
        assert_eq!(r.route("/api/items/7").unwrap().component, "item");
        assert_eq!(r.route("/api/items/new").unwrap().component, "new");
        assert_eq!(r.route("/api").unwrap().component, "exact");
        assert_eq!(r.route("/api/items/7/x").unwrap().component, "api");
    }

    #[test]
    fn a_repeated_route_keeps_the_later_component() {
        let mut seen = Vec::new();
        let r = Router::build([("a", "/x"), ("b", "/x")], |route, old, new| {
            seen.push(format!("{route} {old}->{new}"))
        })
        .unwrap();
        assert_eq!(r.route("/x").unwrap().component, "b");
        assert_eq!(seen, vec!["/x a->b"]);
    }

    #[test]
    fn malformed_patterns_are_refused() {
        for bad in ["nope", "/a/.../b", "/:", "/a/:b c"] {
            assert!(check_pattern(bad).is_err(), "{bad}");
        }
    }
}
