// localstack/ holds no Go code. This file makes it a module of its own so
// that `go build ./...` and `go test ./...` at the repository root skip
// localstack/node_modules, where the CDK CLI ships Go template files that do
// not compile.
module github.com/orrery-dev/orrery/localstack

go 1.26
