//! The xfrmsim command line.

fn main() {
    println!("xfrmsim");
}
