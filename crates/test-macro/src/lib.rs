//! `#[kernel_test]`: the kernel crate's test attribute. On the host it is `#[test]`; built for
//! wasm32 with the kernels' `wasm-tests` feature, the test also becomes an export named after
//! its module path (`lossfn_kernels::math::tests::exp_bound`), which test/wasm_kernels.test.ts
//! calls under Node, one fresh instance per test: so the kernel tests also run on the wasm128
//! lanes the module ships, not only on the portable ones. A failing assertion aborts (a trap);
//! the host run of the same test gives its message.
//!
//! Written without `syn`/`quote` (no external crates): the item must be `fn name() { … }`,
//! optionally with attributes before it.

use proc_macro::{TokenStream, TokenTree};

#[proc_macro_attribute]
pub fn kernel_test(attr: TokenStream, item: TokenStream) -> TokenStream {
    assert!(attr.is_empty(), "#[kernel_test] takes no arguments");
    let tokens: Vec<TokenTree> = item.clone().into_iter().collect();
    let name = tokens
        .windows(2)
        .find_map(|w| match (&w[0], &w[1]) {
            (TokenTree::Ident(f), TokenTree::Ident(n)) if f.to_string() == "fn" => Some(n.clone()),
            _ => None,
        })
        .expect("#[kernel_test] goes on a `fn name() { … }`");
    let src = format!(
        "#[cfg_attr(test, test)] #[allow(dead_code)] {item}
         #[cfg(all(target_arch = \"wasm32\", feature = \"wasm-tests\"))]
         const _: () = {{
             #[export_name = concat!(module_path!(), \"::\", stringify!({name}))]
             pub extern \"C\" fn __kernel_test() {{ {name}() }}
         }};"
    );
    src.parse().expect("#[kernel_test] expansion")
}
