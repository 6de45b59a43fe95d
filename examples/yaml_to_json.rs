//! Helper for `scripts/bench-validate.sh`: prints a schema YAML (or JSON) file
//! as compact JSON, read the way epc reads schemas, so that the benchmark's
//! Node.js and Python scripts need no YAML library.
//!
//! Usage: `cargo run --release --example yaml_to_json -- SCHEMA.yaml`

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: yaml_to_json FILE.yaml");
        std::process::exit(2);
    };
    match epc::schema::yaml::load_file(std::path::Path::new(&path)) {
        Ok(value) => println!("{value}"),
        Err(e) => {
            eprintln!("yaml_to_json: {e}");
            std::process::exit(1);
        }
    }
}
