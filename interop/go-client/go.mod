module github.com/officernd-auth/officernd-auth/interop/go-client

go 1.24.0

require github.com/officernd-auth/officernd-auth/bindings-go v0.0.0

// For linting in place; interop/run.sh builds a copy outside the repository with its own go.mod
// (the same require, replaced by the checkout's absolute path).
replace github.com/officernd-auth/officernd-auth/bindings-go => ../../bindings-go
