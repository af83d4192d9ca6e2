module github.com/officernd-auth/officernd-auth/examples/go

go 1.24.0

require github.com/officernd-auth/officernd-auth/bindings-go v0.0.0

// The module from this repository; an application outside it would require a released version.
replace github.com/officernd-auth/officernd-auth/bindings-go => ../../bindings-go
