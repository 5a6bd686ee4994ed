pub mod connectwise;
