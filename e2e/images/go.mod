// The Go programs of e2e/images.sh: the pause and plain-member binaries (standard library only)
// and the image assembler (go-containerregistry as a library). Built with GOFLAGS=-mod=readonly:
// go.sum is complete, a build never rewrites it.
module local.arraypki/images

go 1.25.0

require github.com/google/go-containerregistry v0.22.1

require (
	github.com/klauspost/compress v1.19.2 // indirect
	github.com/opencontainers/go-digest v1.0.0 // indirect
	github.com/opencontainers/image-spec v1.1.1 // indirect
)
