//! Every registered script function carries documentation.

#[test]
fn every_registered_function_is_documented() {
    let engine = locus::script::new_engine();
    let docs = locus::script::docs();
    let documented: std::collections::HashSet<String> =
        docs.entries().iter().map(|e| e.name.clone()).collect();
    let mut missing = Vec::new();
    for sig in engine.gen_fn_signatures(false) {
        let name = sig.split('(').next().unwrap_or("").trim();
        let name = name.strip_prefix("get$").unwrap_or(name);
        // Operators (+, -, ...) and Rhai conversions are documented with their type.
        if name.is_empty() || !name.chars().next().unwrap().is_alphabetic() {
            continue;
        }
        if matches!(name, "to_string" | "to_debug") {
            continue;
        }
        if !documented.contains(name) {
            missing.push(sig);
        }
    }
    assert!(missing.is_empty(), "registered without docs: {missing:#?}");
    for e in docs.entries() {
        assert!(
            e.doc.len() > 20,
            "`{}` has too short a doc: {:?}",
            e.signature,
            e.doc
        );
        assert!(e.doc.contains("Example"), "`{}` has no example line", e.signature);
    }
}

#[test]
fn docs_have_categories_and_signatures() {
    let docs = locus::script::docs();
    assert!(docs.categories().contains(&"Host".to_string()));
    let help = docs.help("time").unwrap();
    assert!(help.starts_with("time(|| expr)"));
}
