//! An analysis in, the `textDocument/publishDiagnostics` list out: the
//! document's own diagnostics, as `permit0 check` reports them (same codes,
//! messages and help), with related information at the declarations the
//! labels point to.

use crate::analysis::Analysis;
use crate::convert;

pub fn diagnostics(a: &Analysis) -> Vec<lsp_types::Diagnostic> {
    convert::document_diagnostics(a)
}
