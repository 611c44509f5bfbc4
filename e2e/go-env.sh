# Sourced by e2e/local-cluster.sh and e2e/tools.sh: how they run Go, with every module and build
# cache under $ARRAYPKI_CACHE (modules through the proxy, the machine's own toolchain, no cgo).
go_env() {
  export GOMODCACHE=$ARRAYPKI_CACHE/go/mod
  export GOCACHE=$ARRAYPKI_CACHE/go/build
  export GOFLAGS=-mod=mod
  export GOTOOLCHAIN=local
  export CGO_ENABLED=0
}
