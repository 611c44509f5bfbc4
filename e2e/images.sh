#!/usr/bin/env bash
# The container images of the local cluster, built without a registry and without a container
# engine (none is reachable here): tarballs that `ctr images import` loads into containerd.
#
#   e2e/images.sh build  [IMAGE|all]... [--tag T]  build the tarballs (default all), print their paths
#   e2e/images.sh import [IMAGE|all]... [--tag T]  import them into containerd
#                                                  (CONTAINERD_ADDRESS: its socket; namespace k8s.io)
#   e2e/images.sh ensure [IMAGE|all]... [--tag T]  build and import only what is missing (and
#                                                  plain-member when its Go source changed)
#   e2e/images.sh ref    IMAGE [--tag T]           print the image's name
#   e2e/images.sh path   IMAGE [--tag T]           print the tarball's path (no build)
#
# IMAGE is operator, member, plain-member or pause.
#
# The images, T defaulting to dev:
#   arraypki.local/pause:3.10               the pod sandbox: a static Go binary (e2e/images/pause),
#                                           user 65535, for containerd's sandbox_image
#   arraypki.local/arraypki-operator:T      the Dockerfile's image: its LABELs, WORKDIR, COPYs, USER,
#                                           EXPOSE and ENTRYPOINT over a local stand-in for
#                                           eclipse-temurin:17-jre (below)
#   arraypki.local/arraypki-member:T        the same, with the member daemon as its entrypoint
#   arraypki.local/arraypki-plain-member:T  an array member that is not Java: a static Go binary
#                                           (e2e/images/plainmember, standard library only) as
#                                           the entrypoint, user 65532, no shell, nothing else;
#                                           MemberDaemon's PING/PONG over mutual TLS, its mounted
#                                           files read again for every handshake (see its main.go
#                                           for the environment and ports)
#
# The stand-in for eclipse-temurin:17-jre ("JRE base", built once and cached under the JDK's
# version and the module list) is a jlink runtime of the build's JDK 17 at /opt/java/openjdk,
# with exactly the host shared libraries it links (ldd), /etc/passwd and /etc/group with
# nonroot (65532), /tmp (1777), JAVA_HOME, PATH and LANG=C.UTF-8 (and the host's compiled
# C.utf8 locale, without which glibc falls back to ASCII). The application is one layer
# of its own on top, so a rebuild after a code change takes seconds.
#
# Tarballs: $ARRAYPKI_CACHE/images/ (ARRAYPKI_CACHE defaults to ~/.cache/arraypki, as for
# e2e/local-cluster.sh, whose Go module and build caches this script shares).
set -euo pipefail

PAUSE_REF=arraypki.local/pause:3.10
OPERATOR_REPO=arraypki.local/arraypki-operator
MEMBER_REPO=arraypki.local/arraypki-member
PLAIN_MEMBER_REPO=arraypki.local/arraypki-plain-member
MEMBER_ENTRYPOINT='["java", "-XX:MaxRAMPercentage=75", "-cp", "/opt/arraypki/arraypki-operator.jar", "io.arraypki.operator.member.MemberDaemon"]'
# The Dockerfile's FROM that the JRE base stands in for: a different one fails the build.
DOCKERFILE_FROM=eclipse-temurin:17-jre

# The modules of the JRE base. From
#   jdeps --print-module-deps --ignore-missing-deps --multi-release 17 \
#     target/arraypki-operator.jar target/lib/*.jar
# (java.base,java.compiler,java.desktop,java.naming,java.net.http,java.sql,jdk.httpserver,
#  jdk.management,jdk.unsupported: java.desktop for the java.beans that jackson-databind,
#  commons-lang3 and micrometer use, java.compiler for javapoet, java.sql for jackson's java.sql
#  types and Bouncy Castle (it brings java.logging, which the processes log through),
#  jdk.httpserver for the metrics and health endpoints, java.net.http for the fabric8 JDK HTTP
#  client) plus what jdeps cannot see because it is a service provider:
#  jdk.crypto.ec (SunEC: ECDHE and ECDSA in TLS to the API server and to members).
#  jdk.crypto.cryptoki is left out: nothing uses PKCS#11. Re-run the jdeps line after a
#  dependency change; a change of this list rebuilds the base.
JRE_MODULES=java.base,java.compiler,java.desktop,java.naming,java.net.http,java.sql,jdk.crypto.ec,jdk.httpserver,jdk.management,jdk.unsupported
# Bump when the base's recipe (files, config) changes: it is part of the base's cache key.
BASE_RECIPE=1

ARRAYPKI_CACHE=${ARRAYPKI_CACHE:-$HOME/.cache/arraypki}
IMAGES_DIR=$ARRAYPKI_CACHE/images
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GO_SRC=$ROOT/e2e/images
TAG=dev

log() { echo "images: $*" >&2; }
die() { log "$*"; exit 1; }

# The Go environment of e2e/local-cluster.sh (its module and build caches: a machine that built
# the cluster's binaries has the modules already), except GOFLAGS: -mod=readonly because
# e2e/images/go.sum is complete and a build must not rewrite files of the repository, and
# -buildvcs=false because the programs are built inside the project's git work tree.
go_env() {
  export GOMODCACHE=$ARRAYPKI_CACHE/go/mod
  export GOCACHE=$ARRAYPKI_CACHE/go/build
  export GOFLAGS="-mod=readonly -buildvcs=false"
  export GOTOOLCHAIN=local
  export CGO_ENABLED=0
}

WORK_DIRS=()
cleanup() { local d; for d in "${WORK_DIRS[@]}"; do rm -rf "$d"; done; }
trap cleanup EXIT
new_work_dir() { # sets WORK: a fresh directory, removed on exit
  mkdir -p "$IMAGES_DIR"
  WORK=$(mktemp -d "$IMAGES_DIR/.work.XXXXXX")
  WORK_DIRS+=("$WORK")
}

# ---------------------------------------------------------------- the assembler
#
# Why a small Go program on go-containerregistry (e2e/images/assemble) rather than the crane
# CLI: crane's append/mutate read their base from a registry, so the crane way is a
# `crane registry serve` process on a loopback port, a push of the cached base, then append,
# mutate (entrypoint, user, workdir, env, ports, labels: one flag each) and pull — five crane
# calls, a daemon to start, wait for and stop, and a port to find. The library does the same
# (mutate.Append, mutate.ConfigFile, tarball.WriteToFile: the same code crane runs) from
# tarball to tarball in one process, with no daemon and no port, and it reads the Dockerfile
# itself, so the image cannot drift from the Dockerfile. The version is pinned in
# e2e/images/go.mod (and go.sum).

GGCR_VERSION=$(awk '$1 == "require" && $2 == "github.com/google/go-containerregistry" {print $3}' "$GO_SRC/go.mod")

assembler() { # -> path of the assembler binary, built once per source version
  local hash dir
  hash=$(cat "$GO_SRC/go.mod" "$GO_SRC/go.sum" "$GO_SRC"/assemble/*.go | sha256sum | cut -c1-12)
  dir=$ARRAYPKI_CACHE/bin/image-assembler-ggcr-$GGCR_VERSION-$hash
  if [ ! -x "$dir/assemble" ]; then
    command -v go >/dev/null || die "needs Go (go on PATH) to build e2e/images/assemble"
    log "building the image assembler (go-containerregistry $GGCR_VERSION; once)"
    go_env
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    (cd "$GO_SRC" && go build -trimpath -ldflags "-s -w" -o "$dir.tmp/assemble" ./assemble) ||
      die "could not build e2e/images/assemble (see above)"
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
  fi
  echo "$dir/assemble"
}

# ---------------------------------------------------------------- the JRE base

# The JDK of the build: the one ./mvnw uses (JAVA_HOME, else the java on PATH).
build_jdk() {
  local jdk
  if [ -n "${JAVA_HOME:-}" ]; then
    jdk=$JAVA_HOME
  else
    command -v java >/dev/null || die "no JDK: set JAVA_HOME or put java on PATH"
    jdk=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
  fi
  [ -x "$jdk/bin/jlink" ] && [ -d "$jdk/jmods" ] ||
    die "$jdk is not a full JDK (needs bin/jlink and jmods/; Debian: apt-get install openjdk-17-jdk-headless openjdk-17-jmods)"
  echo "$jdk"
}

jdk_runtime_version() { # jdk -> e.g. 17.0.15+6-Debian-1deb12u1
  sed -n 's/^JAVA_RUNTIME_VERSION="\(.*\)"$/\1/p' "$1/release"
}

# The host's shared libraries that the ELF files of a runtime link, one path a line (as ldd
# resolves them: the dynamic loader, glibc, libz, libstdc++, libgcc_s, ...); none missing.
host_libraries() {
  local rt=$1 f out
  out=$(find "$rt" -type f | sort | while read -r f; do
    [ "$(head -c 4 "$f" | tr -d '\0')" = $'\177ELF' ] || continue
    # libjvm.so is loaded by then, ldd must find it (and libjli.so) too
    LD_LIBRARY_PATH=$rt/lib:$rt/lib/server ldd "$f" 2>&1 | sed "s|^|$f: |" || true
  done)
  if grep -q 'not found' <<<"$out"; then
    die "libraries missing on this host: $(grep 'not found' <<<"$out" | tr '\n' ' ')"
  fi
  # "f: \tlibz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x...)" and "f: \t/lib64/ld-linux-x86-64.so.2 (0x...)"
  awk '$3 == "=>" && $4 ~ /^\// {print $4} $2 ~ /^\// {print $2}' <<<"$out" |
    grep -v "^$rt/" | sort -u
}

# Copies a host file to the same path under root, with the host's symlinked directories on the
# way (Debian's /lib -> usr/lib, /lib64 -> usr/lib64) as the same symlinks.
copy_host_file() { # path root
  local p=$1 root=$2 dir="" part real
  local IFS=/
  for part in $(dirname "$p"); do
    [ -n "$part" ] || continue
    dir=$dir/$part
    if [ -L "$dir" ] && [ ! -e "$root$dir" ] && [ ! -L "$root$dir" ]; then
      mkdir -p "$root$(dirname "$dir")"
      ln -s "$(readlink "$dir")" "$root$dir"
    fi
  done
  unset IFS
  real=$(readlink -f "$(dirname "$p")")
  mkdir -p "$root$real"
  cp -L --preserve=mode "$p" "$root$real/$(basename "$p")"
}

BASE_TAR=
build_base() { # sets BASE_TAR
  local jdk version key root rt lib libs asm
  asm=$(assembler)
  jdk=$(build_jdk)
  version=$(jdk_runtime_version "$jdk")
  case "$version" in 17|17.*) ;; *) die "$jdk is Java ${version:-?}, the images need the project's Java 17" ;; esac
  key=$(printf '%s\n' "$version" "$JRE_MODULES" "$BASE_RECIPE" "$(uname -m)" | sha256sum | cut -c1-12)
  BASE_TAR=$IMAGES_DIR/jre-base/jre-$version-$key.tar
  if [ -f "$BASE_TAR" ]; then
    log "JRE base: $BASE_TAR (cached)"
    return 0
  fi
  log "building the JRE base: jlink of $jdk ($version) with $JRE_MODULES"
  new_work_dir
  root=$WORK/rootfs
  rt=$root/opt/java/openjdk
  mkdir -p "$(dirname "$rt")"
  "$jdk/bin/jlink" --add-modules "$JRE_MODULES" --strip-debug --no-header-files --no-man-pages \
    --output "$rt" >&2
  if [ -n "$(find "$rt" -type l -lname '/*' -print -quit)" ]; then
    die "the jlink output has absolute symlinks (to files of the host): $(find "$rt" -type l -lname '/*')"
  fi

  libs=$(host_libraries "$rt")
  # glibc dlopens libgcc_s for thread cancellation and unwinding: ldd does not always list it.
  if ! grep -q '/libgcc_s\.so\.1$' <<<"$libs"; then
    lib=$(dirname "$(grep '/libc\.so\.6$' <<<"$libs")")/libgcc_s.so.1
    [ -f "$lib" ] || die "no libgcc_s.so.1 next to libc.so.6 ($lib)"
    libs=$(printf '%s\n%s\n' "$libs" "$lib" | sort -u)
  fi
  for lib in $libs; do
    copy_host_file "$lib" "$root"
  done

  # LANG=C.UTF-8 needs the compiled locale: glibc (2.35+) ships its source, not a built-in one.
  [ -d /usr/lib/locale/C.utf8 ] || die "no /usr/lib/locale/C.utf8 on this host (Debian: libc-bin)"
  mkdir -p "$root/usr/lib/locale"
  cp -r --preserve=mode /usr/lib/locale/C.utf8 "$root/usr/lib/locale/"

  mkdir -p "$root/etc" "$root/tmp" "$root/home/nonroot"
  chmod 1777 "$root/tmp"
  chmod 0700 "$root/home/nonroot"
  printf '%s\n' 'root:x:0:0:root:/root:/sbin/nologin' \
    'nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin' \
    'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin' > "$root/etc/passwd"
  printf '%s\n' 'root:x:0:' 'nobody:x:65534:' 'nonroot:x:65532:' > "$root/etc/group"
  printf '%s\n' 'passwd: files' 'group: files' 'hosts: files dns' > "$root/etc/nsswitch.conf"
  chmod 0644 "$root/etc/passwd" "$root/etc/group" "$root/etc/nsswitch.conf"

  mkdir -p "$(dirname "$BASE_TAR")"
  "$asm" -rootfs "$root" -chown home/nonroot=65532:65532 \
    -env PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    -env JAVA_HOME=/opt/java/openjdk -env LANG=C.UTF-8 -env "JAVA_VERSION=jdk-${version%%-*}" \
    -label "io.arraypki.jre.source=jlink of $version" -label "io.arraypki.jre.modules=$JRE_MODULES" \
    -history "jlink runtime at /opt/java/openjdk, its host libraries, /etc/passwd, /etc/group, /tmp" \
    -tag "arraypki.local/arraypki-jre:$key" -o "$BASE_TAR.tmp"
  echo "$libs" > "$BASE_TAR.libs"
  mv "$BASE_TAR.tmp" "$BASE_TAR"
  find "$(dirname "$BASE_TAR")" -name 'jre-*.tar*' ! -name "$(basename "$BASE_TAR")*" -delete
  log "JRE base: $BASE_TAR ($(du -m "$root" | tail -1 | cut -f1) MB unpacked; host libraries: $(tr '\n' ' ' <<<"$libs"))"
}

# ---------------------------------------------------------------- the images

ref() {
  case "$1" in
    pause) echo "$PAUSE_REF" ;;
    operator) echo "$OPERATOR_REPO:$TAG" ;;
    member) echo "$MEMBER_REPO:$TAG" ;;
    plain-member) echo "$PLAIN_MEMBER_REPO:$TAG" ;;
    *) die "unknown image $1 (operator, member, plain-member, pause)" ;;
  esac
}

tarball() {
  case "$1" in
    pause) echo "$IMAGES_DIR/pause-3.10.tar" ;;
    operator | member | plain-member) echo "$IMAGES_DIR/arraypki-$1-$TAG.tar" ;;
    *) die "unknown image $1 (operator, member, plain-member, pause)" ;;
  esac
}

build_pause() {
  local root asm
  asm=$(assembler)
  new_work_dir
  root=$WORK/rootfs
  mkdir -p "$root"
  command -v go >/dev/null || die "needs Go (go on PATH) to build e2e/images/pause"
  go_env
  (cd "$GO_SRC" && go build -trimpath -ldflags "-s -w" -o "$root/pause" ./pause) ||
    die "could not build e2e/images/pause (see above)"
  "$asm" -rootfs "$root" -history /pause -entrypoint '["/pause"]' -user 65535:65535 -workdir / \
    -tag "$PAUSE_REF" -o "$(tarball pause)"
}

# The plain member's Go source (and the module files): what its tarball was built from, recorded
# next to it (<tarball>.source), so that ensure rebuilds it after a change of the program.
plain_member_source() {
  cat "$GO_SRC/go.mod" "$GO_SRC/go.sum" "$GO_SRC"/plainmember/*.go | sha256sum | cut -c1-12
}

build_plain_member() {
  local root asm tar source
  asm=$(assembler)
  new_work_dir
  root=$WORK/rootfs
  mkdir -p "$root"
  command -v go >/dev/null || die "needs Go (go on PATH) to build e2e/images/plainmember"
  go_env
  source=$(plain_member_source)
  (cd "$GO_SRC" && go build -trimpath -ldflags "-s -w" -o "$root/plain-member" ./plainmember) ||
    die "could not build e2e/images/plainmember (see above)"
  tar=$(tarball plain-member)
  "$asm" -rootfs "$root" -history "/plain-member (e2e/images/plainmember, source $source)" \
    -entrypoint '["/plain-member"]' -user 65532:65532 -workdir / -expose 7443/tcp -expose 8080/tcp \
    -label "io.arraypki.plain-member.source=$source" -tag "$(ref plain-member)" -o "$tar"
  echo "$source" > "$tar.source"
}

build_application() { # operator|member
  local kind=$1 jar=$ROOT/target/arraypki-operator.jar
  if [ ! -f "$jar" ] || ! compgen -G "$ROOT/target/lib/*.jar" >/dev/null; then
    die "no $jar or no $ROOT/target/lib/*.jar: run ./mvnw -B -DskipTests package first"
  fi
  build_base
  local asm extra=()
  asm=$(assembler)
  [ "$kind" = member ] && extra=(-entrypoint "$MEMBER_ENTRYPOINT")
  # gzip level 1: the jars are compressed already, a better level buys little and costs seconds
  "$asm" -base "$BASE_TAR" -dockerfile "$ROOT/Dockerfile" -context "$ROOT" \
    -expect-from "$DOCKERFILE_FROM" "${extra[@]}" -gzip-level 1 \
    -tag "$(ref "$kind")" -o "$(tarball "$kind")"
}

build() {
  local kind start
  mkdir -p "$IMAGES_DIR"
  exec 9>"$IMAGES_DIR/.lock"
  flock 9 # one build at a time (the tests and a developer share the cache)
  for kind in "$@"; do
    start=$SECONDS
    case "$kind" in
      pause) build_pause ;;
      plain-member) build_plain_member ;;
      operator | member) build_application "$kind" ;;
    esac
    log "built $(ref "$kind") in $((SECONDS - start)) s"
    tarball "$kind"
  done
}

import() {
  local kind
  [ -n "${CONTAINERD_ADDRESS:-}" ] ||
    die "CONTAINERD_ADDRESS is not set: the containerd socket to import into, e.g. CONTAINERD_ADDRESS=/run/containerd/containerd.sock"
  command -v "${CTR_BIN:-ctr}" >/dev/null || die "no ctr (containerd's client) on PATH; CTR_BIN names another"
  for kind in "$@"; do
    import_one "$kind"
  done
}

ctr_k8s() { "${CTR_BIN:-ctr}" --address "$CONTAINERD_ADDRESS" -n k8s.io "$@"; }

import_one() {
  local kind=$1 tar name names attempt
  tar=$(tarball "$kind")
  name=$(ref "$kind")
  [ -f "$tar" ] || die "no $tar: run e2e/images.sh build $kind$([ "$kind" = pause ] || echo " --tag $TAG") first"
  for attempt in 1 2; do
    # Replacing an image moves its name to the new manifest, and containerd's garbage collector
    # may then delete a snapshot of the old one (the JRE base's) that the unpacking of the new
    # one has just decided to reuse: "parent snapshot ... does not exist". Removing the old image
    # first, synchronously, leaves only snapshots that another image still holds.
    names=$(ctr_k8s images ls -q) # (no grep -q in a pipe: ctr would die of SIGPIPE)
    if grep -qxF "$name" <<<"$names"; then
      ctr_k8s images rm --sync "$name" >/dev/null
    fi
    # A docker-archive of one linux/<this machine's arch> image, named in its manifest.json
    # (RepoTags): imported and unpacked under that exact name (no --base-name, no OCI index
    # to name, no other platform to match). CONTAINERD_SNAPSHOTTER picks the snapshotter.
    if ctr_k8s images import "$tar" >&2; then
      break
    fi
    [ "$attempt" = 1 ] || die "could not import $tar (see above)"
    log "importing $tar again"
  done
  names=$(ctr_k8s images ls -q)
  grep -qxF "$name" <<<"$names" || die "$tar was imported, but containerd has no image $name"
  names=$(ctr_k8s images check "name==$name")
  [ "$(awk 'NR == 2 {print $NF}' <<<"$names")" = true ] || die "$name was imported but not unpacked: $names"
  log "imported $name"
  echo "$name"
}

# Built and imported only when missing: what e2e/local-cluster.sh up needs (the pause image),
# in seconds when both are there.
ensure() {
  local kind names
  [ -n "${CONTAINERD_ADDRESS:-}" ] || die "CONTAINERD_ADDRESS is not set: the containerd socket to import into"
  for kind in "$@"; do
    if [ "$kind" = plain-member ] && [ -f "$(tarball "$kind")" ] &&
      [ "$(cat "$(tarball "$kind").source" 2>/dev/null)" != "$(plain_member_source)" ]; then
      build "$kind" >/dev/null # its Go source changed: a new tarball, imported below
      import_one "$kind" >/dev/null
      continue
    fi
    [ -f "$(tarball "$kind")" ] || build "$kind" >/dev/null
    names=$(ctr_k8s images ls -q)
    grep -qxF "$(ref "$kind")" <<<"$names" || import_one "$kind" >/dev/null
  done
}

kinds() { # [operator|member|plain-member|pause|all] -> the kinds, in build order
  case "${1:-all}" in
    all) echo pause operator member plain-member ;;
    operator | member | plain-member | pause) echo "$1" ;;
    *) die "unknown image $1 (operator, member, plain-member, pause or all)" ;;
  esac
}

main() {
  local command=${1:-} args=() kind list items
  [ $# -gt 0 ] && shift
  while [ $# -gt 0 ]; do
    case "$1" in
      --tag) [ $# -ge 2 ] || die "--tag needs a value"; TAG=$2; shift 2 ;;
      --tag=*) TAG=${1#--tag=}; shift ;;
      -*) die "unknown option $1" ;;
      *) args+=("$1"); shift ;;
    esac
  done
  [[ "$TAG" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "not an image tag: $TAG"
  kind=${args[0]:-}
  case "$command" in
    build | import | ensure)
      items=()
      [ ${#args[@]} -gt 0 ] || args=(all)
      for kind in "${args[@]}"; do
        list=$(kinds "$kind") || exit 1
        read -ra more <<<"$list"
        items+=("${more[@]}")
      done
      "$command" "${items[@]}"
      ;;
    ref) [ -n "$kind" ] && [ "$kind" != all ] || die "usage: $0 ref operator|member|plain-member|pause"; ref "$kind" ;;
    path) [ -n "$kind" ] && [ "$kind" != all ] || die "usage: $0 path operator|member|plain-member|pause"; tarball "$kind" ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
}

main "$@"
