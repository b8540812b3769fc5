//! `fermyon:spin/variables@2.0.0`: a component reads only the variables its manifest entry
//! declares, already expanded from application variables at start-up.

use super::bindings::fermyon::spin2_0_0::variables::{self, Error};
use crate::state::HostState;

impl variables::Host for HostState {
    async fn get(&mut self, name: String) -> wasmtime::Result<Result<String, Error>> {
        if crate::variables::check_name(&name).is_err() {
            return Ok(Err(Error::InvalidName(name)));
        }
        Ok(match self.component.caps.variables.get(&name) {
            Some(value) => Ok(value.clone()),
            // Spin's wording, from its expression resolver: component and variable, quoted.
            None => Err(Error::Undefined(format!(
                "no variable for {:?}.{name:?}",
                self.component.id
            ))),
        })
    }
}
