//! JSON Schemas for the workspace files, generated from the raw config types so editors
//! (yaml-language-server) can complete and check them. The checked-in copies under `schemas/`
//! are compared with these by a test.

use crate::config::raw::{RawIntegration, RawWorkspace};

/// The workspace schema's file name.
pub const WORKSPACE_SCHEMA: &str = "workspace.schema.json";
/// The integration schema's file name.
pub const INTEGRATION_SCHEMA: &str = "integration.schema.json";

/// `(file name, pretty JSON)` for each schema.
pub fn generate() -> Vec<(&'static str, String)> {
    let render = |schema: schemars::Schema| {
        let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
        text.push('\n');
        text
    };
    vec![
        (
            WORKSPACE_SCHEMA,
            render(schemars::schema_for!(RawWorkspace)),
        ),
        (
            INTEGRATION_SCHEMA,
            render(schemars::schema_for!(RawIntegration)),
        ),
    ]
}
