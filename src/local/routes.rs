//! Which route of the manifest's `api:` answers a request, as a REST API chooses.
//!
//! A REST API is a tree of resources. For a request path, API Gateway picks the most
//! specific resource whose path matches: at each segment a literal (`/items`) wins over
//! a path parameter (`/{id}`), which wins over a greedy one (`/{proxy+}`, which takes
//! one or more remaining segments). Then it picks the resource's method: the request's
//! own, else `ANY`. No resource, or no method on it, answers 403 "Missing
//! Authentication Token" (the caller's job). A trailing slash is ignored.
//!
//! Path parameter values are percent-decoded, as API Gateway passes them.

use std::collections::BTreeMap;

use crate::model::Route;

/// A route that matched, with its path parameters by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched<'a> {
    pub route: &'a Route,
    pub params: BTreeMap<String, String>,
}

/// The route for `method` and `path` (the request path, without the stage and the
/// query), if any.
pub fn find<'a>(routes: &'a [Route], method: &str, path: &str) -> Option<Matched<'a>> {
    let segments = segments(path);
    // The most specific resource path that matches, with its parameters.
    let (template, params) = routes
        .iter()
        .map(|route| route.path.as_str())
        .filter_map(|template| {
            matches(template, &segments).map(|(rank, params)| (rank, template, params))
        })
        .min_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, template, params)| (template, params))?;
    let on_resource = || routes.iter().filter(|route| route.path == template);
    let route = on_resource()
        .find(|route| route.method.eq_ignore_ascii_case(method))
        .or_else(|| on_resource().find(|route| route.method == "ANY"))?;
    Some(Matched { route, params })
}

fn segments(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty()).collect()
}

/// How specific a match is (lower is more specific, compared segment by segment), and
/// its parameters; `None` when `template` does not match.
fn matches(template: &str, path: &[&str]) -> Option<(Vec<u8>, BTreeMap<String, String>)> {
    let template = segments(template);
    let mut rank = Vec::new();
    let mut params = BTreeMap::new();
    for (index, part) in template.iter().enumerate() {
        if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix("+}")) {
            // Greedy: the rest of the path, at least one segment; only ever last.
            let rest = path.get(index..).filter(|rest| !rest.is_empty())?;
            params.insert(name.to_string(), decode(&rest.join("/")));
            rank.push(2);
            return (index + 1 == template.len()).then_some((rank, params));
        }
        let segment = path.get(index)?;
        if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            params.insert(name.to_string(), decode(segment));
            rank.push(1);
        } else if part == segment {
            rank.push(0);
        } else {
            return None;
        }
    }
    (template.len() == path.len()).then_some((rank, params))
}

fn decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Authorization;

    fn routes(table: &[(&str, &str, &str)]) -> Vec<Route> {
        table
            .iter()
            .map(|(method, path, function)| Route {
                method: method.to_string(),
                path: path.to_string(),
                function: function.to_string(),
                authorization: Authorization::None,
                api_key_required: false,
                authorizer: None,
                scopes: Vec::new(),
            })
            .collect()
    }

    fn answer(
        routes: &[Route],
        method: &str,
        path: &str,
    ) -> Option<(String, Vec<(String, String)>)> {
        find(routes, method, path).map(|m| {
            (
                m.route.function.clone(),
                m.params.into_iter().collect::<Vec<_>>(),
            )
        })
    }

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn literals_beat_parameters_beat_greedy_parameters() {
        let table = routes(&[
            ("GET", "/items", "list"),
            ("GET", "/items/{id}", "get"),
            ("GET", "/items/special", "special"),
            ("ANY", "/{proxy+}", "fallback"),
            ("GET", "/", "root"),
        ]);
        assert_eq!(
            answer(&table, "GET", "/items"),
            Some(("list".into(), p(&[])))
        );
        assert_eq!(
            answer(&table, "GET", "/items/"),
            Some(("list".into(), p(&[])))
        );
        assert_eq!(
            answer(&table, "GET", "/items/42"),
            Some(("get".into(), p(&[("id", "42")])))
        );
        assert_eq!(
            answer(&table, "GET", "/items/special"),
            Some(("special".into(), p(&[])))
        );
        assert_eq!(
            answer(&table, "POST", "/a/b/c"),
            Some(("fallback".into(), p(&[("proxy", "a/b/c")])))
        );
        assert_eq!(answer(&table, "GET", "/"), Some(("root".into(), p(&[]))));
    }

    #[test]
    fn greedy_parameters_need_a_segment() {
        let table = routes(&[("ANY", "/admin/{proxy+}", "admin")]);
        assert_eq!(answer(&table, "GET", "/admin"), None);
        assert_eq!(
            answer(&table, "DELETE", "/admin/users/7"),
            Some(("admin".into(), p(&[("proxy", "users/7")])))
        );
    }

    #[test]
    fn the_method_is_chosen_on_the_matched_resource() {
        let table = routes(&[
            ("GET", "/items/{id}", "get"),
            ("ANY", "/items/{id}", "any"),
            ("PUT", "/items/{id}/tags", "tags"),
        ]);
        assert_eq!(answer(&table, "GET", "/items/1").unwrap().0, "get");
        assert_eq!(answer(&table, "patch", "/items/1").unwrap().0, "any");
        // The resource matches, but has no such method: nothing answers.
        assert_eq!(answer(&table, "GET", "/items/1/tags"), None);
        assert_eq!(answer(&table, "GET", "/nothing"), None);
    }

    #[test]
    fn parameters_are_percent_decoded() {
        let table = routes(&[("GET", "/users/{email}", "user")]);
        assert_eq!(
            answer(&table, "GET", "/users/a%40b.example"),
            Some(("user".into(), p(&[("email", "a@b.example")])))
        );
    }
}
