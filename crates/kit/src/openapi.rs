//! Keeps the OpenAPI document in step with the routes: [`mismatches`] lists every public route
//! of a module that the document lacks, and every documented path of the module that no route
//! serves. Each component runs it in a unit test.

use crate::router::Router;

/// `/api/v1/items/:id` → `/api/v1/items/{id}`.
fn openapi_path(pattern: &str) -> String {
    pattern
        .split('/')
        .map(|s| match s.strip_prefix(':') {
            Some(name) => format!("{{{name}}}"),
            None => s.to_string(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Differences between the router's public routes and the document's paths for its module.
pub fn mismatches(router: &Router, document: &str) -> Vec<String> {
    let doc: serde_json::Value = match serde_json::from_str(document) {
        Ok(doc) => doc,
        Err(e) => return vec![format!("the OpenAPI document is not JSON: {e}")],
    };
    let Some(paths) = doc["paths"].as_object() else {
        return vec!["the OpenAPI document has no `paths`".into()];
    };
    let prefix = format!("/api/v1/{}/", router.module());
    let mut problems = Vec::new();
    let mut served = Vec::new();
    for (verb, pattern) in router.routes().filter(|(_, p)| p.starts_with("/api/")) {
        let path = openapi_path(pattern);
        let method = verb.as_str().to_ascii_lowercase();
        if paths.get(&path).is_none_or(|p| p.get(&method).is_none()) {
            problems.push(format!(
                "{} {path} is served but not documented",
                verb.as_str()
            ));
        }
        served.push((path, method));
    }
    for (path, item) in paths.iter().filter(|(p, _)| p.starts_with(&prefix)) {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() && !served.iter().any(|(p, m)| p == path && m == method) {
                problems.push(format!(
                    "{} {path} is documented but not served",
                    method.to_ascii_uppercase()
                ));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn both_directions_are_reported() {
        let router = Router::new("demo").get("/api/v1/demo/items/:id", |_, _| async {
            json::no_content()
        });
        let doc = r#"{"paths": {
            "/api/v1/demo/health": {"get": {}},
            "/api/v1/demo/gone": {"post": {}}
        }}"#;
        let problems = mismatches(&router, doc);
        assert_eq!(
            problems,
            vec![
                "GET /api/v1/demo/items/{id} is served but not documented".to_string(),
                "POST /api/v1/demo/gone is documented but not served".to_string(),
            ]
        );
    }
}
