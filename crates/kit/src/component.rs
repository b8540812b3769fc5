//! The entry point every component declares with [`crate::component!`]: its HTTP handler
//! serving the module's router, and the unit test that keeps the OpenAPI document in step.

/// Declares a component's HTTP entry point — serving `router()` — and the unit test that keeps
/// the OpenAPI document (`docs/openapi.json`) in step with the router's public routes.
///
/// ```ignore
/// kit::component!(router);
/// ```
#[macro_export]
macro_rules! component {
    ($router:ident) => {
        #[::spin_sdk::http_component]
        async fn handle(req: $crate::Request, out: ::spin_sdk::http::ResponseOutparam) {
            $router().serve(req, out).await
        }

        #[cfg(test)]
        mod openapi_coverage {
            #[test]
            fn every_public_route_is_in_the_openapi_document_and_back() {
                let document = include_str!(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../../docs/openapi.json"
                ));
                let problems = $crate::openapi::mismatches(&super::$router(), document);
                assert!(problems.is_empty(), "{problems:#?}");
            }
        }
    };
}
