#[test] fn smoke(){ assert_eq!(edustat::version(), env!("CARGO_PKG_VERSION")); }
